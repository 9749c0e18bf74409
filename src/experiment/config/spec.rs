//! How one key is handled: its [`Spec`] (the kind the layer reader checks,
//! the reader that takes the merged setting into the model's field, the
//! writer that puts the field back as TOML), and the [`config_keys!`]
//! macro that turns the declarations of `keys.rs` into the key table
//! ([`Key`], what the schema and the writer use) and the resolver's
//! `build` (what makes the [`crate::simulation::Config`]).
//!
//! Invariants: a spec's three parts belong together (a kind's reader
//! accepts exactly the setting its layer reader makes, and its writer
//! writes what that layer reader reads back to the same value), so a key
//! declared with one spec is read, resolved and written consistently; the
//! macro adds no key of its own and keeps the declaration order, which is
//! the schema order (the order of suggestions, of "valid keys" lists and of
//! the written TOML within a table).

use std::path::PathBuf;

use super::error::ConfigError;
use super::resolve::Resolver;
use super::schema::{
    Kind, NumberRange, ARRIVALS_NAMES, CACHE_EVICTION_NAMES, CPU_WORK_NAMES, POLICY_NAMES,
    PREDICTOR_NAMES, SMART_PREDICTOR_NAMES, TRACE_SPREAD_NAMES, TRACE_TENANT_NAMES,
    WASM_COMPILE_NAMES, WHEN_FULL_NAMES,
};
use super::to_toml;
use crate::architectures::{ArchitectureVariant, WasmCompile};
use crate::dist::Dist;
use crate::fleet::{CpuPhases, WhenFull};
use crate::policies::{CacheEviction, PolicySet, Predictor, SmartPredictor};
use crate::simulation::Config;
use crate::time::Nanos;
use crate::workload::{Arrivals, MmppState, TraceSpread, TraceTenant};

/// One key's handling, for a model field of type `T`.
pub(super) struct Spec<T> {
    /// What the layer reader accepts (and the schema lists).
    pub kind: Kind,
    /// The merged setting of the key (named by the `&str`) as the field's
    /// value.
    pub read: fn(&Resolver<'_>, &str) -> Result<T, ConfigError>,
    /// Writes the field as TOML, under its name in its table (the `&str`).
    pub write: fn(&mut String, &str, &T),
}

/// One declared key, as the schema and the writer see it.
pub(crate) struct Key {
    /// The dotted key (`workload.tenants`).
    pub name: &'static str,
    /// How the layer reader reads it.
    pub kind: Kind,
    /// Writes its value in `Config` as TOML (`name = value` lines), under
    /// the name given (the key's last segment).
    pub write: fn(&Config, &mut String, &str),
}

/// A spec from its parts.
fn spec<T>(
    kind: Kind,
    read: fn(&Resolver<'_>, &str) -> Result<T, ConfigError>,
    write: fn(&mut String, &str, &T),
) -> Spec<T> {
    Spec { kind, read, write }
}

/// An integer in `min..=max`.
pub(super) fn integer(min: u64, max: u64) -> Spec<u64> {
    spec(
        Kind::Integer { min, max },
        |r, k| r.integer(k),
        to_toml::plain,
    )
}

/// An integer in `min..=max`, `max` within `u32`.
pub(super) fn integer_u32(min: u64, max: u64) -> Spec<u32> {
    spec(
        Kind::Integer { min, max },
        |r, k| r.integer_u32(k),
        to_toml::plain,
    )
}

/// A finite number in `range`.
pub(super) fn number(range: NumberRange) -> Spec<f64> {
    spec(
        Kind::Number(range),
        |r, k| r.number(k),
        to_toml::float_entry,
    )
}

/// `true` or `false`.
pub(super) fn flag() -> Spec<bool> {
    spec(Kind::Bool, |r, k| r.boolean(k), to_toml::plain)
}

/// One duration string, 0 allowed; `why` says why a table is refused.
pub(super) fn duration(why: &'static str) -> Spec<Nanos> {
    let kind = Kind::Duration {
        positive: false,
        why,
    };
    spec(kind, |r, k| r.nanos(k), to_toml::duration_entry)
}

/// One duration string > 0; `why` says why a table is refused.
pub(super) fn positive_duration(why: &'static str) -> Spec<Nanos> {
    Spec {
        kind: Kind::Duration {
            positive: true,
            why,
        },
        ..duration(why)
    }
}

/// A duration spec: a constant or a distribution table.
pub(super) fn dist() -> Spec<Dist> {
    spec(Kind::Dist, |r, k| r.dist(k), to_toml::dist_entry)
}

/// One of the names of `E`.
pub(super) fn choice<E: Named>() -> Spec<E> {
    let kind = Kind::Choice(E::NAMES);
    spec(kind, |r, k| r.choice_of::<E>(k), to_toml::choice_entry::<E>)
}

/// A file path (`""`: none).
pub(super) fn path() -> Spec<PathBuf> {
    spec(Kind::Path, |r, k| r.path(k), to_toml::path_entry)
}

/// A rate profile.
pub(super) fn profile() -> Spec<Vec<f64>> {
    spec(Kind::Profile, |r, k| r.profile(k), to_toml::profile_entry)
}

/// The MMPP states.
pub(super) fn mmpp_states() -> Spec<Vec<MmppState>> {
    spec(Kind::MmppStates, |r, k| r.states(k), to_toml::states_entry)
}

/// The `architectures` list (checked against `platform.runtime_wasm_compile`).
pub(super) fn architectures() -> Spec<Vec<ArchitectureVariant>> {
    let write = to_toml::architectures_entry;
    spec(Kind::Architectures, |r, k| r.architectures(k), write)
}

/// The enabled policies (`policies`).
pub(super) fn policy_set() -> Spec<PolicySet> {
    let kind = Kind::Names(POLICY_NAMES);
    spec(kind, |r, k| r.policy_set(k), to_toml::policies_entry)
}

/// The work that holds an isolate's thread (`isolate.cpu_phases`).
pub(super) fn cpu_phases() -> Spec<CpuPhases> {
    let kind = Kind::Names(CPU_WORK_NAMES);
    spec(kind, |r, k| r.cpu_phases(k), to_toml::cpu_phases_entry)
}

/// A model enum chosen by name ([`choice`]).
pub(super) trait Named: Copy + 'static {
    /// The names, in the order errors list them.
    const NAMES: &'static [&'static str];
    /// The value named `name`.
    fn from_name(name: &str) -> Option<Self>;
    /// The value's name.
    fn name(self) -> &'static str;
}

/// [`Named`] for enums with `from_name` and `name`.
macro_rules! named {
    ($($ty:ident: $names:ident),* $(,)?) => {$(
        impl Named for $ty {
            const NAMES: &'static [&'static str] = $names;
            fn from_name(name: &str) -> Option<Self> {
                $ty::from_name(name)
            }
            fn name(self) -> &'static str {
                $ty::name(self)
            }
        }
    )*};
}

named!(
    Arrivals: ARRIVALS_NAMES,
    WasmCompile: WASM_COMPILE_NAMES,
    Predictor: PREDICTOR_NAMES,
    SmartPredictor: SMART_PREDICTOR_NAMES,
    CacheEviction: CACHE_EVICTION_NAMES,
);

/// [`Named`] for enums with `name` only, from their list of values.
macro_rules! named_from_values {
    ($($ty:ident: $names:ident = $values:expr),* $(,)?) => {$(
        impl Named for $ty {
            const NAMES: &'static [&'static str] = $names;
            fn from_name(name: &str) -> Option<Self> {
                $values.into_iter().find(|v| v.name() == name)
            }
            fn name(self) -> &'static str {
                $ty::name(self)
            }
        }
    )*};
}

named_from_values!(
    TraceTenant: TRACE_TENANT_NAMES = [TraceTenant::Function, TraceTenant::App],
    TraceSpread: TRACE_SPREAD_NAMES = [TraceSpread::Uniform, TraceSpread::Poisson],
    WhenFull: WHEN_FULL_NAMES = WhenFull::ALL,
);

/// Declares the config keys (see `keys.rs`): from a tree that mirrors
/// `Config`, a struct per table of fields, generates
///
/// - `build(r)`: the `Config`, each field read by its spec's reader (a
///   `fixed (value)` field is set to the value, no key reads it);
/// - `declare(out)`: every key, in declaration order, as a [`Key`].
///
/// A field is `name: "dotted.key" (spec)`, `name: Type { fields }` or
/// `name: fixed (value)`.
macro_rules! config_keys {
    ($Root:ident { $($tree:tt)* }) => {
        /// The configuration from the merged settings, every field read
        /// by its key's spec, in declaration order.
        pub(super) fn build(r: &Resolver<'_>) -> Result<$Root, ConfigError> {
            Ok(config_keys!(@value r; $Root { $($tree)* }))
        }

        /// Every declared key, in declaration order.
        fn declare(out: &mut Vec<Key>) {
            config_keys!(@fields out []; $($tree)*);
        }
    };
    (@value $r:ident; $Ty:ident { $($field:ident : $head:tt $body:tt),* $(,)? }) => {
        $Ty { $($field: config_keys!(@value $r; $head $body)),* }
    };
    (@value $r:ident; fixed ($value:expr)) => {
        $value
    };
    (@value $r:ident; $key:literal ($spec:expr)) => {
        ($spec.read)($r, $key)?
    };
    (@fields $out:ident $path:tt; $($field:ident : $head:tt $body:tt),* $(,)?) => {
        $(config_keys!(@key $out $path $field; $head $body);)*
    };
    (@key $out:ident [$($p:ident)*] $field:ident; $Ty:ident { $($inner:tt)* }) => {
        config_keys!(@fields $out [$($p)* $field]; $($inner)*)
    };
    (@key $out:ident $path:tt $field:ident; fixed ($value:expr)) => {};
    (@key $out:ident [$($p:ident)*] $field:ident; $key:literal ($spec:expr)) => {
        $out.push(Key {
            name: $key,
            kind: $spec.kind,
            write: |c, w, name| ($spec.write)(w, name, &c $(.$p)* .$field),
        })
    };
}
pub(super) use config_keys;
