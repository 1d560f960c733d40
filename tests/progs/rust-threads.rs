//! Rust std threads (tests/threads.rs builds this with rustc, statically
//! linked): spawn and join, Mutex, scoped threads with a channel, Condvar.
use std::sync::{Arc, Mutex, Condvar, mpsc};
use std::thread;
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(4);
    let counter = Arc::new(Mutex::new(0u64));
    let mut hs = Vec::new();
    for i in 0..n {
        let c = counter.clone();
        hs.push(thread::spawn(move || { for _ in 0..10000 { *c.lock().unwrap() += 1; } i * 2 }));
    }
    let sum: usize = hs.into_iter().map(|h| h.join().unwrap()).sum();
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| { for i in 0..n { let tx = tx.clone(); s.spawn(move || tx.send(i).unwrap()); } });
    drop(tx);
    let mut got: Vec<usize> = rx.iter().collect(); got.sort();
    let pair = Arc::new((Mutex::new(false), Condvar::new()));
    let p2 = pair.clone();
    let t = thread::spawn(move || { let (l, c) = &*p2; *l.lock().unwrap() = true; c.notify_one(); });
    let (l, c) = &*pair; let mut g = l.lock().unwrap(); while !*g { g = c.wait(g).unwrap(); } drop(g); t.join().unwrap();
    // A panic in a thread is caught by join (the message goes to stderr).
    let caught = thread::spawn(|| panic!("expected panic")).join().is_err();
    thread_local!(static LOCAL: std::cell::Cell<u32> = std::cell::Cell::new(1));
    let others: Vec<u32> = (0..4)
        .map(|i| thread::spawn(move || { LOCAL.with(|l| l.set(l.get() + i)); LOCAL.with(|l| l.get()) }))
        .map(|h| h.join().unwrap())
        .collect();
    let mine = LOCAL.with(|l| l.get());
    println!("threads={} counter={} sum={} got={:?} condvar=ok panic_caught={} tls={:?} main_tls={}", n, *counter.lock().unwrap(), sum, got, caught, others, mine);
}
