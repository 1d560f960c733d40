// Goroutine ping-pong over unbuffered channels (scripts/thread-bench.sh):
// prints microseconds per round trip for N round trips (argument 2, after
// a mode word kept for the script's shape).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[2])
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	per := float64(time.Since(start).Nanoseconds()) / 1e3
	if n > 0 {
		per /= float64(n)
	}
	fmt.Printf("g %d: %.1f us/op\n", n, per)
}
