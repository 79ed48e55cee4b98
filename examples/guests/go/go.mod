module nanoproc.example/guests

go 1.21
