module gopingpong

go 1.19
