module nanoproc.example/plugins

go 1.24
