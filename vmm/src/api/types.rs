//! Every JSON body of the control socket, request and response, as one
//! serde type each: the server writes them, `lstar inspect` and `lstar
//! trace` read them, and docs/api/openapi.yaml describes them
//! (tests/api.rs checks real answers against that file).
//!
//! Request bodies deny unknown members, and every body rejects a member
//! given twice: serde's derive does that for structs ("duplicate field"),
//! and [`Map`], the one map type here, does it for run-time keys.

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON object whose keys are chosen at run time (syscall names,
/// device names, counters), in the server's order. A key that appears
/// twice in a document is an error, as for the fixed members of structs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Map<V>(pub Vec<(String, V)>);

impl<V> Map<V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V> FromIterator<(String, V)> for Map<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        Map(iter.into_iter().collect())
    }
}

impl<V: Serialize> Serialize for Map<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Map<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = Map<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Map<V>, A::Error> {
                let mut seen = BTreeSet::new();
                let mut entries = Vec::new();
                while let Some(key) = access.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                    }
                    entries.push((key, access.next_value()?));
                }
                Ok(Map(entries))
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// A request body as `T`, or the reason it is not one (for a 400).
pub fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad request body: {e}"))
}

/// Every error answer: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// `PUT /vm/state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Paused,
    Running,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    pub state: RunState,
}

/// `PUT /vm/actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    pub action: Action,
}

/// `GET /vm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmInfo {
    /// running, paused or exited.
    pub state: String,
    pub exit_status: Option<i32>,
    pub uptime_ms: u64,
    pub platform: String,
    pub vcpus: u32,
    pub mem_mib: u64,
    pub kernel: String,
    pub cmdline: String,
}

/// One row of a system call table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub calls: u64,
    pub errors: u64,
}

/// A task of `/vm/tasks` (and of `/vm/syscalls`'s `by_pid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub pid: u32,
    pub ppid: u32,
    pub tgid: u32,
    /// R, S, T, Z, X or ?.
    pub state: char,
    pub syscalls: u64,
    pub start_ns: u64,
    pub name: String,
}

/// `GET /vm/syscalls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syscalls {
    pub syscall: Map<Count>,
    pub int80: Map<Count>,
    pub task_work_run: u64,
    pub page_faults: u64,
    pub frames_allocated: u64,
    pub by_pid: Vec<Task>,
    pub tasks_not_shown: u64,
}

/// `GET /vm/exits`'s `by_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitReasons {
    pub io: u64,
    pub mmio: u64,
    pub hlt: u64,
    pub interrupted: u64,
    pub other: u64,
}

/// `GET /vm/exits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exits {
    pub total: u64,
    pub by_reason: ExitReasons,
    pub io_by_device: Map<u64>,
    /// KVM's binary statistics of vCPU 0, where KVM has them.
    pub kvm: Option<Map<u64>>,
}

/// `GET /vm/vcpus/0/regs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
}

impl Regs {
    /// (name, value) in the order of the struct.
    pub fn pairs(&self) -> [(&'static str, u64); 18] {
        [
            ("rax", self.rax),
            ("rbx", self.rbx),
            ("rcx", self.rcx),
            ("rdx", self.rdx),
            ("rsi", self.rsi),
            ("rdi", self.rdi),
            ("rsp", self.rsp),
            ("rbp", self.rbp),
            ("r8", self.r8),
            ("r9", self.r9),
            ("r10", self.r10),
            ("r11", self.r11),
            ("r12", self.r12),
            ("r13", self.r13),
            ("r14", self.r14),
            ("r15", self.r15),
            ("rip", self.rip),
            ("rflags", self.rflags),
        ]
    }
}

impl From<&kvm_bindings::kvm_regs> for Regs {
    fn from(r: &kvm_bindings::kvm_regs) -> Regs {
        Regs {
            rax: r.rax,
            rbx: r.rbx,
            rcx: r.rcx,
            rdx: r.rdx,
            rsi: r.rsi,
            rdi: r.rdi,
            rsp: r.rsp,
            rbp: r.rbp,
            r8: r.r8,
            r9: r.r9,
            r10: r.r10,
            r11: r.r11,
            r12: r.r12,
            r13: r.r13,
            r14: r.r14,
            r15: r.r15,
            rip: r.rip,
            rflags: r.rflags,
        }
    }
}

/// A segment register as KVM keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub base: u64,
    pub limit: u32,
    pub selector: u16,
    #[serde(rename = "type")]
    pub type_: u8,
    pub present: u8,
    pub dpl: u8,
    pub db: u8,
    pub s: u8,
    pub l: u8,
    pub g: u8,
    pub avl: u8,
    pub unusable: u8,
}

impl From<&kvm_bindings::kvm_segment> for Segment {
    fn from(s: &kvm_bindings::kvm_segment) -> Segment {
        Segment {
            base: s.base,
            limit: s.limit,
            selector: s.selector,
            type_: s.type_,
            present: s.present,
            dpl: s.dpl,
            db: s.db,
            s: s.s,
            l: s.l,
            g: s.g,
            avl: s.avl,
            unusable: s.unusable,
        }
    }
}

/// The GDT or IDT register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtable {
    pub base: u64,
    pub limit: u16,
}

/// `GET /vm/vcpus/0/sregs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sregs {
    pub cs: Segment,
    pub ds: Segment,
    pub es: Segment,
    pub fs: Segment,
    pub gs: Segment,
    pub ss: Segment,
    pub tr: Segment,
    pub ldt: Segment,
    pub gdt: Dtable,
    pub idt: Dtable,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub cr8: u64,
    pub efer: u64,
    pub apic_base: u64,
    pub interrupt_bitmap: [u64; 4],
}

impl Sregs {
    /// (name, segment) in the order of the struct.
    pub fn segments(&self) -> [(&'static str, &Segment); 8] {
        [
            ("cs", &self.cs),
            ("ds", &self.ds),
            ("es", &self.es),
            ("fs", &self.fs),
            ("gs", &self.gs),
            ("ss", &self.ss),
            ("tr", &self.tr),
            ("ldt", &self.ldt),
        ]
    }
}

impl From<&kvm_bindings::kvm_sregs> for Sregs {
    fn from(s: &kvm_bindings::kvm_sregs) -> Sregs {
        let dt = |t: &kvm_bindings::kvm_dtable| Dtable {
            base: t.base,
            limit: t.limit,
        };
        Sregs {
            cs: (&s.cs).into(),
            ds: (&s.ds).into(),
            es: (&s.es).into(),
            fs: (&s.fs).into(),
            gs: (&s.gs).into(),
            ss: (&s.ss).into(),
            tr: (&s.tr).into(),
            ldt: (&s.ldt).into(),
            gdt: dt(&s.gdt),
            idt: dt(&s.idt),
            cr0: s.cr0,
            cr2: s.cr2,
            cr3: s.cr3,
            cr4: s.cr4,
            cr8: s.cr8,
            efer: s.efer,
            apic_base: s.apic_base,
            interrupt_bitmap: s.interrupt_bitmap,
        }
    }
}

/// One MSR of `GET /vm/vcpus/0/msrs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msr {
    pub name: String,
    pub index: u32,
    /// `None` where KVM refused to read it.
    pub value: Option<u64>,
    pub decoded: String,
    pub symbol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msrs {
    pub msrs: Vec<Msr>,
}

/// Which gate a system call came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entry {
    Syscall,
    Int80,
}

/// One record of `GET /vm/trace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRecord {
    pub pid: u32,
    pub entry: Entry,
    pub nr: u32,
    pub args: [u64; 6],
    pub ret: i64,
    pub returned: bool,
    pub tsc: u64,
    /// The call as strace prints it, without the pid.
    pub text: String,
}

/// `GET /vm/trace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    pub records: Vec<TraceRecord>,
    pub lost: u64,
}

/// `GET /vm/memory`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub gva: u64,
    pub len: u64,
    pub hex: String,
}

/// A non-empty slot of a system call table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallSlot {
    pub nr: u64,
    pub name: Option<String>,
    pub address: u64,
    pub symbol: Option<String>,
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallTable {
    pub symbol: String,
    pub gva: u64,
    pub entries: u64,
    pub implemented: Vec<SyscallSlot>,
}

/// `GET /vm/syscall-table`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallTables {
    pub syscall: SyscallTable,
    pub int80: SyscallTable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_reject_duplicates_unknown_members_and_bad_values() {
        let state: StateBody = parse_body(br#"{"state": "paused"}"#).unwrap();
        assert_eq!(state.state, RunState::Paused);
        for bad in [
            &br#"{"state": "paused", "state": "running"}"#[..],
            br#"{"state": "paused", "extra": 1}"#,
            br#"{"state": "sleeping"}"#,
            br#"{"state": 1}"#,
            b"",
            b"[]",
            b"{\"state\": \"paused\"} x",
        ] {
            assert!(parse_body::<StateBody>(bad).is_err(), "{bad:?}");
        }
        let e = parse_body::<ActionBody>(br#"{"action": "shutdown", "action": "shutdown"}"#)
            .unwrap_err();
        assert!(e.contains("duplicate field `action`"), "{e}");
    }

    #[test]
    fn maps_keep_order_and_reject_duplicate_keys() {
        let m: Map<u64> = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap();
        assert_eq!(m.0, vec![("b".to_string(), 1), ("a".to_string(), 2)]);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"b":1,"a":2}"#);
        let e = serde_json::from_str::<Map<u64>>(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(e.to_string().contains("duplicate field `a`"), "{e}");
        // Inside a response body too (what `lstar inspect` reads).
        let body = r#"{"total": 1, "by_reason": {"io": 1, "mmio": 0, "hlt": 0, "interrupted": 0,
            "other": 0}, "io_by_device": {"uart": 1, "uart": 2}, "kvm": null}"#;
        assert!(serde_json::from_str::<Exits>(body).is_err());
    }
}
