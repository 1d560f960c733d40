//! The endpoints (docs/api/openapi.yaml): which path and method does what.

use std::fmt::Write as _;
use std::time::Duration;

use kvm_bindings::{kvm_dtable, kvm_segment};

use super::http::{Request, Response};
use super::json::{self, Value};
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
        "/vm" => Response::json(200, vm_info(ctx)),
        "/vm/syscalls" => match Stats::read(&ctx.memory, ctx.stats_addr) {
            Ok(s) => Response::json(200, syscalls_json(&Report::new(&s))),
            Err(e) => Response::error(503, &e.to_string()),
        },
        "/vm/tasks" => match crate::stats::read_tasks(&ctx.memory, ctx.stats_addr) {
            Ok(tasks) => Response::json(200, tasks_json(tasks.iter().filter(|t| !t.reaped()))),
            Err(e) => Response::error(503, &e.to_string()),
        },
        "/vm/exits" => Response::json(200, exits_json(ctx)),
        "/vm/blk" => Response::json(200, blk_json(ctx)),
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
    let items: Vec<String> = records.iter().map(crate::trace::record_json).collect();
    Response::json(
        200,
        format!("{{\"records\":[{}],\"lost\":{lost}}}", items.join(",")),
    )
}

/// The one string member `key` of a JSON object body.
fn body_field(body: &[u8], key: &str) -> Result<String, Response> {
    let text = std::str::from_utf8(body).map_err(|_| Response::error(400, "body is not UTF-8"))?;
    let value = json::parse(text).ok_or_else(|| Response::error(400, "body is not valid JSON"))?;
    let Some(members) = value.as_object() else {
        return Err(Response::error(400, "body must be a JSON object"));
    };
    if let Some((other, _)) = members.iter().find(|(k, _)| k != key) {
        return Err(Response::error(400, &format!("unknown member {other:?}")));
    }
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Response::error(400, &format!("expected {{\"{key}\": string}}")))
}

fn control_error(e: &ControlError) -> Response {
    match e {
        ControlError::Exited => Response::error(409, &e.to_string()),
        _ => Response::error(503, &e.to_string()),
    }
}

fn put_state(ctx: &Context, body: &[u8]) -> Response {
    let state = match body_field(body, "state") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let request = match state.as_str() {
        "paused" => VcpuRequest::Pause,
        "running" => VcpuRequest::Resume,
        other => {
            return Response::error(
                400,
                &format!("state {other:?}: expected \"paused\" or \"running\""),
            );
        }
    };
    match ctx.control.ask(request) {
        Ok(Reply::Done) => Response::json(200, format!("{{\"state\": {}}}", json::string(&state))),
        Ok(other) => Response::error(500, &format!("unexpected answer {other:?}")),
        Err(e) => control_error(&e),
    }
}

fn put_action(ctx: &Context, body: &[u8]) -> Response {
    let action = match body_field(body, "action") {
        Ok(s) => s,
        Err(r) => return r,
    };
    if action != "shutdown" {
        return Response::error(400, &format!("action {action:?}: expected \"shutdown\""));
    }
    match ctx.control.ask(VcpuRequest::Shutdown) {
        Ok(_) => Response::json(200, "{\"action\": \"shutdown\"}".to_string()),
        Err(e) => control_error(&e),
    }
}

fn vcpu(ctx: &Context, request: VcpuRequest) -> Response {
    match ctx.control.ask(request) {
        Ok(Reply::Regs(r)) => Response::json(200, regs_json(&r)),
        Ok(Reply::Sregs(s)) => Response::json(200, sregs_json(&s)),
        Ok(Reply::Msrs(values)) => Response::json(200, msrs_json(ctx, &values)),
        Ok(Reply::Failed(what)) => Response::error(500, &what),
        Ok(Reply::Done) => Response::error(500, "unexpected answer"),
        Err(e) => control_error(&e),
    }
}

fn uptime_ms(ctx: &Context) -> u128 {
    ctx.started.elapsed().as_millis()
}

fn vm_info(ctx: &Context) -> String {
    let shared = &ctx.control.shared;
    format!(
        "{{\"state\": \"{}\", \"exit_status\": {}, \"uptime_ms\": {}, \"platform\": {}, \
         \"vcpus\": 1, \"mem_mib\": {}, \"kernel\": {}, \"cmdline\": {}}}",
        shared.state().name(),
        shared
            .exit_status()
            .map_or_else(|| "null".to_string(), |s| s.to_string()),
        uptime_ms(ctx),
        json::string(ctx.platform),
        ctx.mem_mib,
        json::string(&ctx.kernel),
        json::string(&ctx.cmdline),
    )
}

fn table_json(rows: &[Row]) -> String {
    let members: Vec<String> = rows
        .iter()
        .map(|(calls, errors, name)| {
            format!(
                "{}: {{\"calls\": {calls}, \"errors\": {errors}}}",
                json::string(name)
            )
        })
        .collect();
    format!("{{{}}}", members.join(", "))
}

pub fn syscalls_json(r: &Report) -> String {
    format!(
        "{{\"syscall\": {}, \"int80\": {}, \"task_work_run\": {}, \"page_faults\": {}, \
         \"frames_allocated\": {}, \"by_pid\": {}, \"tasks_not_shown\": {}}}",
        table_json(&r.syscall),
        table_json(&r.int80),
        r.task_work_run,
        r.page_faults,
        r.frames_allocated,
        tasks_json(r.tasks.iter()),
        r.tasks_not_shown
    )
}

/// One task: `{"pid": 3, "ppid": 1, "tgid": 3, "state": "S", "syscalls": 12,
/// "start_ns": 81000000, "name": "sleep"}`.
fn task_json(t: &TaskInfo) -> String {
    format!(
        "{{\"pid\": {}, \"ppid\": {}, \"tgid\": {}, \"state\": {}, \"syscalls\": {}, \
         \"start_ns\": {}, \"name\": {}}}",
        t.pid,
        t.ppid,
        t.tgid,
        json::string(&t.state.to_string()),
        t.syscalls,
        t.start_ns,
        json::string(&t.name)
    )
}

pub fn tasks_json<'a>(tasks: impl Iterator<Item = &'a TaskInfo>) -> String {
    let items: Vec<String> = tasks.map(task_json).collect();
    format!("[{}]", items.join(", "))
}

fn pairs_json(pairs: &[(&str, u64)]) -> String {
    let members: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {v}", json::string(k)))
        .collect();
    format!("{{{}}}", members.join(", "))
}

/// `GET /vm/blk`: the virtio-blk counters by name, `{}` without a disk.
/// The device's counters, and the guest page cache's from the stats area
/// as `guest_*` (dirty pages now, pages written back, write requests and
/// flushes the guest sent): one flat object of numbers.
fn blk_json(ctx: &Context) -> String {
    let Some(blk) = ctx.blk.as_ref() else {
        return "{}".to_string();
    };
    let mut pairs: Vec<(String, u64)> = blk
        .pairs()
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    if let Ok(stats) = Stats::read(&ctx.memory, ctx.stats_addr) {
        pairs.extend(
            stats
                .page_cache
                .pairs()
                .iter()
                .map(|(k, v)| (format!("guest_{k}"), *v)),
        );
    }
    let pairs: Vec<(&str, u64)> = pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    pairs_json(&pairs)
}

fn kvm_stats(ctx: &Context) -> Option<Vec<(String, u64)>> {
    crate::kvm_stats::read(ctx.kvm_stats.as_ref()?)
}

fn exits_json(ctx: &Context) -> String {
    let exits = &ctx.control.shared.exits;
    let kvm = kvm_stats(ctx).map_or_else(
        || "null".to_string(),
        |stats| {
            let pairs: Vec<(&str, u64)> = stats.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            pairs_json(&pairs)
        },
    );
    let reasons = exits.by_reason();
    let total: u64 = reasons.iter().map(|r| r.1).sum();
    format!(
        "{{\"total\": {total}, \"by_reason\": {}, \"io_by_device\": {}, \"kvm\": {kvm}}}",
        pairs_json(&reasons),
        pairs_json(&exits.by_device()),
    )
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

fn regs_json(r: &kvm_bindings::kvm_regs) -> String {
    let regs = [
        ("rax", r.rax),
        ("rbx", r.rbx),
        ("rcx", r.rcx),
        ("rdx", r.rdx),
        ("rsi", r.rsi),
        ("rdi", r.rdi),
        ("rsp", r.rsp),
        ("rbp", r.rbp),
        ("r8", r.r8),
        ("r9", r.r9),
        ("r10", r.r10),
        ("r11", r.r11),
        ("r12", r.r12),
        ("r13", r.r13),
        ("r14", r.r14),
        ("r15", r.r15),
        ("rip", r.rip),
        ("rflags", r.rflags),
    ];
    pairs_json(&regs)
}

fn segment_json(s: &kvm_segment) -> String {
    format!(
        "{{\"base\": {}, \"limit\": {}, \"selector\": {}, \"type\": {}, \"present\": {}, \
         \"dpl\": {}, \"db\": {}, \"s\": {}, \"l\": {}, \"g\": {}, \"avl\": {}, \"unusable\": {}}}",
        s.base,
        s.limit,
        s.selector,
        s.type_,
        s.present,
        s.dpl,
        s.db,
        s.s,
        s.l,
        s.g,
        s.avl,
        s.unusable
    )
}

fn dtable_json(t: &kvm_dtable) -> String {
    format!("{{\"base\": {}, \"limit\": {}}}", t.base, t.limit)
}

fn sregs_json(s: &kvm_bindings::kvm_sregs) -> String {
    let segments = [
        ("cs", &s.cs),
        ("ds", &s.ds),
        ("es", &s.es),
        ("fs", &s.fs),
        ("gs", &s.gs),
        ("ss", &s.ss),
        ("tr", &s.tr),
        ("ldt", &s.ldt),
    ];
    let mut members: Vec<String> = segments
        .iter()
        .map(|(n, seg)| format!("\"{n}\": {}", segment_json(seg)))
        .collect();
    members.push(format!("\"gdt\": {}", dtable_json(&s.gdt)));
    members.push(format!("\"idt\": {}", dtable_json(&s.idt)));
    for (n, v) in [
        ("cr0", s.cr0),
        ("cr2", s.cr2),
        ("cr3", s.cr3),
        ("cr4", s.cr4),
        ("cr8", s.cr8),
        ("efer", s.efer),
        ("apic_base", s.apic_base),
    ] {
        members.push(format!("\"{n}\": {v}"));
    }
    let bitmap: Vec<String> = s.interrupt_bitmap.iter().map(u64::to_string).collect();
    members.push(format!("\"interrupt_bitmap\": [{}]", bitmap.join(", ")));
    format!("{{{}}}", members.join(", "))
}

fn msrs_json(ctx: &Context, values: &[(u32, Option<u64>)]) -> String {
    let rows: Vec<String> = msrs::rows(values, ctx.ksyms.as_deref())
        .iter()
        .map(|r| {
            format!(
                "{{\"name\": {}, \"index\": {}, \"value\": {}, \"decoded\": {}, \"symbol\": {}}}",
                json::string(r.name),
                r.index,
                r.value
                    .map_or_else(|| "null".to_string(), |v| v.to_string()),
                json::string(&r.decoded),
                json::opt_string(r.symbol.as_deref())
            )
        })
        .collect();
    format!("{{\"msrs\": [{}]}}", rows.join(", "))
}

/// A shutdown request: once its answer is written, `main` may exit.
pub fn is_shutdown(req: &Request) -> bool {
    req.method == "PUT" && req.path.trim_end_matches('/') == "/vm/actions"
}
