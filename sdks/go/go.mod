module nanoproc.dev/sdk/go

go 1.22
