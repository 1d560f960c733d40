module goruntime

go 1.19
