//! The endpoints (docs/api/openapi.yaml): which path and method does what.

use std::fmt::Write as _;
use std::time::Duration;

use super::http::{Request, Response};
use super::types::{self, Map};
use super::{Context, memory, msrs};
use crate::stats::{Report, Row, Stats, TaskInfo};
use crate::vcpu_control::{ControlError, Reply, Request as VcpuRequest};

/// Every path and the methods it answers; the rest is 404, or 405 with
/// `Allow`.
pub const ROUTES: [(&str, &str); 14] = [
    ("/vm", "GET"),
    ("/vm/syscalls", "GET"),
    ("/vm/tasks", "GET"),
    ("/vm/exits", "GET"),
    ("/vm/blk", "GET"),
    ("/metrics", "GET"),
    ("/vm/vcpus/0/regs", "GET"),
    ("/vm/vcpus/0/sregs", "GET"),
    ("/vm/vcpus/0/msrs", "GET"),
    ("/vm/state", "PUT"),
    ("/vm/actions", "PUT"),
    ("/vm/trace", "GET"),
    ("/vm/memory", "GET"),
    ("/vm/syscall-table", "GET"),
];

pub fn handle(ctx: &Context, req: &Request) -> Response {
    let path = req.path.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    let Some(&(_, method)) = ROUTES.iter().find(|(p, _)| *p == path) else {
        return Response::error(404, &format!("no such endpoint: {path}"));
    };
    if req.method != method {
        let mut r = Response::error(
            405,
            &format!("{} {path}: method not allowed (use {method})", req.method),
        );
        r.headers.push(format!("Allow: {method}"));
        return r;
    }
    match path {
        "/vm" => Response::json(200, &vm_info(ctx)),
        "/vm/syscalls" => match Stats::read(&ctx.memory, ctx.stats_addr) {
            Ok(s) => Response::json(200, &syscalls(&Report::new(&s))),
            Err(e) => Response::error(503, &e.to_string()),
        },
        "/vm/tasks" => match crate::stats::read_tasks(&ctx.memory, ctx.stats_addr) {
            Ok(tasks) => {
                let live: Vec<TaskInfo> = tasks.into_iter().filter(|t| !t.reaped()).collect();
                Response::json(200, &live)
            }
            Err(e) => Response::error(503, &e.to_string()),
        },
        "/vm/exits" => Response::json(200, &exits(ctx)),
        "/vm/blk" => Response::json(200, &blk(ctx)),
        "/metrics" => Response::text(200, "text/plain; version=0.0.4", metrics(ctx)),
        "/vm/vcpus/0/regs" => vcpu(ctx, VcpuRequest::Regs),
        "/vm/vcpus/0/sregs" => vcpu(ctx, VcpuRequest::Sregs),
        "/vm/vcpus/0/msrs" => vcpu(ctx, VcpuRequest::Msrs(msrs::indices())),
        "/vm/state" => put_state(ctx, &req.body),
        "/vm/trace" => trace(ctx),
        "/vm/memory" => memory::get(ctx, req.query.as_deref()),
        "/vm/syscall-table" => memory::syscall_table(ctx),
        _ => put_action(ctx, &req.body),
    }
}

/// `GET /vm/trace`: the system calls recorded since the previous request
/// (each record is returned once), starting the guest's tracing on first
/// use; `lost` counts what the guest had to drop meanwhile.
fn trace(ctx: &Context) -> Response {
    let Ok(mut slot) = ctx.trace.lock() else {
        return Response::error(500, "trace state poisoned");
    };
    if slot.is_none() {
        *slot = crate::trace::TraceRing::enable(ctx.memory.clone(), ctx.stats_addr);
    }
    let Some(ring) = slot.as_mut() else {
        return Response::error(503, "cannot enable tracing in guest memory");
    };
    let (records, lost) = ring.take();
    let records = records.iter().map(crate::trace::record_body).collect();
    Response::json(200, &types::Trace { records, lost })
}

fn control_error(e: &ControlError) -> Response {
    match e {
        ControlError::Exited => Response::error(409, &e.to_string()),
        _ => Response::error(503, &e.to_string()),
    }
}

fn put_state(ctx: &Context, body: &[u8]) -> Response {
    let body: types::StateBody = match types::parse_body(body) {
        Ok(b) => b,
        Err(message) => return Response::error(400, &message),
    };
    let request = match body.state {
        types::RunState::Paused => VcpuRequest::Pause,
        types::RunState::Running => VcpuRequest::Resume,
    };
    match ctx.control.ask(request) {
        Ok(Reply::Done) => Response::json(200, &body),
        Ok(other) => Response::error(500, &format!("unexpected answer {other:?}")),
        Err(e) => control_error(&e),
    }
}

fn put_action(ctx: &Context, body: &[u8]) -> Response {
    let body: types::ActionBody = match types::parse_body(body) {
        Ok(b) => b,
        Err(message) => return Response::error(400, &message),
    };
    let types::Action::Shutdown = body.action;
    match ctx.control.ask(VcpuRequest::Shutdown) {
        Ok(_) => Response::json(200, &body),
        Err(e) => control_error(&e),
    }
}

fn vcpu(ctx: &Context, request: VcpuRequest) -> Response {
    match ctx.control.ask(request) {
        Ok(Reply::Regs(r)) => Response::json(200, &types::Regs::from(&*r)),
        Ok(Reply::Sregs(s)) => Response::json(200, &types::Sregs::from(&*s)),
        Ok(Reply::Msrs(values)) => Response::json(200, &msrs_body(ctx, &values)),
        Ok(Reply::Failed(what)) => Response::error(500, &what),
        Ok(Reply::Done) => Response::error(500, "unexpected answer"),
        Err(e) => control_error(&e),
    }
}

fn uptime_ms(ctx: &Context) -> u128 {
    ctx.started.elapsed().as_millis()
}

fn vm_info(ctx: &Context) -> types::VmInfo {
    let shared = &ctx.control.shared;
    types::VmInfo {
        state: shared.state().name().to_string(),
        exit_status: shared.exit_status(),
        uptime_ms: u64::try_from(uptime_ms(ctx)).unwrap_or(u64::MAX),
        platform: ctx.platform.to_string(),
        vcpus: 1,
        mem_mib: ctx.mem_mib,
        kernel: ctx.kernel.clone(),
        cmdline: ctx.cmdline.clone(),
    }
}

fn counts(rows: &[Row]) -> Map<types::Count> {
    rows.iter()
        .map(|(calls, errors, name)| {
            (
                name.clone(),
                types::Count {
                    calls: *calls,
                    errors: *errors,
                },
            )
        })
        .collect()
}

fn syscalls(r: &Report) -> types::Syscalls {
    types::Syscalls {
        syscall: counts(&r.syscall),
        int80: counts(&r.int80),
        task_work_run: r.task_work_run,
        page_faults: r.page_faults,
        frames_allocated: r.frames_allocated,
        by_pid: r.tasks.clone(),
        tasks_not_shown: r.tasks_not_shown,
    }
}

fn pairs<K: ToString>(pairs: &[(K, u64)]) -> Map<u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// `GET /vm/blk`: the virtio-blk counters by name, `{}` without a disk.
/// The device's counters, and the guest page cache's from the stats area
/// as `guest_*` (dirty pages now, pages written back, write requests and
/// flushes the guest sent): one flat object of numbers.
fn blk(ctx: &Context) -> Map<u64> {
    let Some(blk) = ctx.blk.as_ref() else {
        return Map::default();
    };
    let mut all = pairs(&blk.pairs());
    if let Ok(stats) = Stats::read(&ctx.memory, ctx.stats_addr) {
        all.0.extend(
            stats
                .page_cache
                .pairs()
                .iter()
                .map(|(k, v)| (format!("guest_{k}"), *v)),
        );
    }
    all
}

fn kvm_stats(ctx: &Context) -> Option<Vec<(String, u64)>> {
    crate::kvm_stats::read(ctx.kvm_stats.as_ref()?)
}

fn exits(ctx: &Context) -> types::Exits {
    let exits = &ctx.control.shared.exits;
    let [io, mmio, hlt, interrupted, other] = exits.by_reason().map(|(_, n)| n);
    types::Exits {
        total: io + mmio + hlt + interrupted + other,
        by_reason: types::ExitReasons {
            io,
            mmio,
            hlt,
            interrupted,
            other,
        },
        io_by_device: pairs(&exits.by_device()),
        kvm: kvm_stats(ctx).map(Map),
    }
}

/// A Prometheus label value (backslash, quote and newline escaped).
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn metrics(ctx: &Context) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let exits = &ctx.control.shared.exits;
    let reasons: Vec<(String, u64)> = exits
        .by_reason()
        .iter()
        .map(|(r, n)| (format!("{{reason=\"{r}\"}}"), *n))
        .collect();
    family(
        "lstar_vm_exits_total",
        "counter",
        "VM exits handled by the VMM, by reason.",
        &reasons,
    );
    let devices: Vec<(String, u64)> = exits
        .by_device()
        .iter()
        .map(|(d, n)| (format!("{{device=\"{}\"}}", label(d)), *n))
        .collect();
    family(
        "lstar_pio_exits_total",
        "counter",
        "Port I/O exits by device.",
        &devices,
    );
    let uptime = Duration::from_millis(u64::try_from(uptime_ms(ctx)).unwrap_or(u64::MAX));
    family(
        "lstar_vm_uptime_seconds",
        "gauge",
        "Seconds since the vCPU started (whole seconds).",
        &[(String::new(), uptime.as_secs())],
    );
    if let Ok(stats) = Stats::read(&ctx.memory, ctx.stats_addr) {
        let r = Report::new(&stats);
        let mut calls = Vec::new();
        let mut errors = Vec::new();
        for (entry, rows) in [("syscall", &r.syscall), ("int80", &r.int80)] {
            for (c, e, name) in rows {
                let labels = format!("{{entry=\"{entry}\",name=\"{}\"}}", label(name));
                calls.push((labels.clone(), *c));
                errors.push((labels, *e));
            }
        }
        family(
            "lstar_guest_syscalls_total",
            "counter",
            "System calls served by the guest kernel, by entry and name.",
            &calls,
        );
        family(
            "lstar_guest_syscall_errors_total",
            "counter",
            "System calls that returned an error, by entry and name.",
            &errors,
        );
        for (name, help, v) in [
            (
                "lstar_guest_task_work_run_total",
                "Task work items run on the way back to user mode.",
                r.task_work_run,
            ),
            (
                "lstar_guest_page_faults_total",
                "Page faults the guest kernel handled.",
                r.page_faults,
            ),
        ] {
            family(name, "counter", help, &[(String::new(), v)]);
        }
    }
    if let Some(blk) = &ctx.blk {
        let samples: Vec<(String, u64)> = blk
            .pairs()
            .iter()
            .map(|(k, v)| (format!("{{name=\"{k}\"}}"), *v))
            .collect();
        family(
            "lstar_blk_stat",
            "untyped",
            "virtio-blk device counters (as GET /vm/blk), by name.",
            &samples,
        );
    }
    if let Some(stats) = kvm_stats(ctx) {
        let samples: Vec<(String, u64)> = stats
            .iter()
            .map(|(k, v)| (format!("{{name=\"{}\"}}", label(k)), *v))
            .collect();
        family(
            "lstar_kvm_vcpu_stat",
            "untyped",
            "KVM's binary statistics of vCPU 0 (KVM_GET_STATS_FD).",
            &samples,
        );
    }
    out
}

fn msrs_body(ctx: &Context, values: &[(u32, Option<u64>)]) -> types::Msrs {
    let msrs = msrs::rows(values, ctx.ksyms.as_deref())
        .into_iter()
        .map(|r| types::Msr {
            name: r.name.to_string(),
            index: r.index,
            value: r.value,
            decoded: r.decoded,
            symbol: r.symbol,
        })
        .collect();
    types::Msrs { msrs }
}

/// The request may wait for the vCPU thread (`vcpu_control`, up to its
/// answer timeout): the event loop hands it to its worker.
pub fn needs_vcpu(req: &Request) -> bool {
    let path = req.path.trim_end_matches('/');
    path.starts_with("/vm/vcpus/")
        || matches!(
            path,
            "/vm/state" | "/vm/actions" | "/vm/memory" | "/vm/syscall-table"
        )
}

/// A shutdown request: once its answer is written, `main` may exit.
pub fn is_shutdown(req: &Request) -> bool {
    req.method == "PUT" && req.path.trim_end_matches('/') == "/vm/actions"
}
