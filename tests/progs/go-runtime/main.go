// The Go runtime in lstar (tests/threads.rs): goroutines on several
// threads, channels, a mutex, timers, the netpoller over a pipe, the
// garbage collector, and a goroutine spinning without function calls that
// the runtime must preempt (SIGURG to its thread) for the others to run.
// Prints the same natively and in lstar.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	runtime.GOMAXPROCS(4)
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := 0
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			local := 0
			for j := 0; j < 10000; j++ {
				local += j % (i + 1)
			}
			mu.Lock()
			total += local
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	fmt.Println("goroutines:", total)

	ch := make(chan int)
	results := make([]int, 0, 8)
	for i := 0; i < 8; i++ {
		go func(i int) { ch <- i * i }(i)
	}
	for i := 0; i < 8; i++ {
		results = append(results, <-ch)
	}
	sort.Ints(results)
	fmt.Println("channels:", results)

	// 1,000 goroutines in a chain of channels.
	first := make(chan int)
	in := first
	for i := 0; i < 1000; i++ {
		out := make(chan int)
		go func(in, out chan int) { out <- 1 + <-in }(in, out)
		in = out
	}
	first <- 0
	fmt.Println("1000 goroutines in a chain:", <-in)

	ticker := time.NewTicker(5 * time.Millisecond)
	ticks := 0
	for range ticker.C {
		ticks++
		if ticks == 3 {
			break
		}
	}
	ticker.Stop()
	fmt.Println("ticker: 3 ticks")

	path := os.TempDir() + "/go-runtime-file"
	if err := os.WriteFile(path, []byte("written by Go\n"), 0o644); err != nil {
		fmt.Println("write file:", err)
		os.Exit(1)
	}
	data, err := os.ReadFile(path)
	fmt.Printf("file: %q %v\n", data, err)
	os.Remove(path)

	if out, err := exec.Command("/bin/busybox", "echo", "from", "a", "child").Output(); err == nil {
		fmt.Println("os/exec:", strings.TrimSpace(string(out)))
	} else {
		fmt.Println("os/exec:", err)
	}

	start := time.Now()
	select {
	case <-time.After(30 * time.Millisecond):
		fmt.Println("timer: fired after at least 30ms:", time.Since(start) >= 30*time.Millisecond)
	case <-time.After(5 * time.Second):
		fmt.Println("timer: wrong one")
	}

	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("pipe:", err)
		os.Exit(1)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		w.Write([]byte("through the netpoller"))
		w.Close()
	}()
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	fmt.Println("pipe:", string(buf[:n]))

	var keep [][]byte
	for i := 0; i < 2000; i++ {
		b := make([]byte, 16<<10)
		b[0] = byte(i)
		if i%100 == 0 {
			keep = append(keep, b)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Println("gc: cycles > 0:", ms.NumGC > 0, "kept", len(keep))

	// A goroutine that never calls a function: only asynchronous
	// preemption (SIGURG) lets main's timer goroutine run.
	runtime.GOMAXPROCS(1)
	stop := make(chan bool)
	var spins uint64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for k := 0; k < 1<<20; k++ {
				spins++
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	fmt.Println("preemption: main ran again while a goroutine spun")
	// Every goroutine but main ends on its own: the spinner once it is
	// scheduled again and sees stop, the pipe writer after its Close. No
	// fixed sleep is long enough for that on a loaded machine (a count of
	// 2 was seen after 5ms), so wait for the count with a deadline: a
	// goroutine that never ends still shows in it.
	left := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); left > 1 && time.Now().Before(deadline); left = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("goroutines left:", left)
}
