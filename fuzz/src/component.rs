//! The `component_json` fixture: the WIT types of `crates/nanoproc/src/component/all_types.wat`
//! (one import per type), and a generator of arbitrary values of a given type.

use arbitrary::{Result, Unstructured};
use std::sync::LazyLock;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Type, Val};

/// One function of the fixture: its name and parameters.
pub struct Func {
    /// The import's name (`t-person`, `t-args`, …).
    pub name: String,
    /// Its parameters, in order.
    pub params: Vec<(String, Type)>,
}

/// Every function of the fixture, in import order.
pub static FUNCS: LazyLock<Vec<Func>> = LazyLock::new(|| {
    let mut config = wasmtime::Config::new();
    config
        .wasm_component_model(true)
        .wasm_component_model_map(true)
        .wasm_component_model_fixed_length_lists(true);
    let engine = wasmtime::Engine::new(&config).expect("engine");
    let wat = include_str!("../../crates/nanoproc/src/component/all_types.wat");
    let component = Component::new(&engine, wat).expect("the fixture compiles");
    let ty = component.component_type();
    ty.imports(&engine)
        .filter_map(|(name, ext)| match ext.ty {
            ComponentItem::ComponentFunc(f) => Some(Func {
                name: name.to_string(),
                params: f.params().map(|(n, t)| (n.to_string(), t)).collect(),
            }),
            _ => None,
        })
        .collect()
});

/// Most elements generated for one list or map, and deepest nesting generated.
const MAX_LEN: usize = 6;
const MAX_DEPTH: usize = 8;

/// An arbitrary value of type `ty`; `Err` for types that hold resources (nothing to generate).
pub fn arbitrary_val(ty: &Type, u: &mut Unstructured<'_>) -> Result<Val> {
    gen_val(ty, u, 0)
}

fn len(u: &mut Unstructured<'_>, depth: usize) -> Result<usize> {
    if depth >= MAX_DEPTH {
        return Ok(0);
    }
    u.int_in_range(0..=MAX_LEN)
}

fn gen_val(ty: &Type, u: &mut Unstructured<'_>, depth: usize) -> Result<Val> {
    let d = depth + 1;
    Ok(match ty {
        Type::Bool => Val::Bool(u.arbitrary()?),
        Type::S8 => Val::S8(u.arbitrary()?),
        Type::U8 => Val::U8(u.arbitrary()?),
        Type::S16 => Val::S16(u.arbitrary()?),
        Type::U16 => Val::U16(u.arbitrary()?),
        Type::S32 => Val::S32(u.arbitrary()?),
        Type::U32 => Val::U32(u.arbitrary()?),
        Type::S64 => Val::S64(u.arbitrary()?),
        Type::U64 => Val::U64(u.arbitrary()?),
        // Any bit pattern: NaNs with payloads, subnormals, both zeros, infinities.
        Type::Float32 => Val::Float32(f32::from_bits(u.arbitrary()?)),
        Type::Float64 => Val::Float64(f64::from_bits(u.arbitrary()?)),
        Type::Char => Val::Char(u.arbitrary()?),
        Type::String => Val::String(u.arbitrary()?),
        Type::List(l) => {
            let elem = l.ty();
            let n = len(u, depth)?;
            Val::List(
                (0..n)
                    .map(|_| gen_val(&elem, u, d))
                    .collect::<Result<_>>()?,
            )
        }
        Type::FixedLengthList(l) => {
            let elem = l.ty();
            Val::FixedLengthList(
                (0..l.len())
                    .map(|_| gen_val(&elem, u, d))
                    .collect::<Result<_>>()?,
            )
        }
        Type::Map(m) => {
            let (k, v) = (m.key(), m.value());
            let n = len(u, depth)?;
            Val::Map(
                (0..n)
                    .map(|_| Ok((gen_val(&k, u, d)?, gen_val(&v, u, d)?)))
                    .collect::<Result<_>>()?,
            )
        }
        Type::Record(r) => Val::Record(
            r.fields()
                .map(|f| Ok((f.name.to_string(), gen_val(&f.ty, u, d)?)))
                .collect::<Result<_>>()?,
        ),
        Type::Tuple(t) => Val::Tuple(
            t.types()
                .map(|t| gen_val(&t, u, d))
                .collect::<Result<_>>()?,
        ),
        Type::Variant(v) => {
            let cases: Vec<_> = v.cases().collect();
            let c = u.choose(&cases)?;
            let payload = match &c.ty {
                Some(t) => Some(Box::new(gen_val(t, u, d)?)),
                None => None,
            };
            Val::Variant(c.name.to_string(), payload)
        }
        Type::Enum(e) => {
            let names: Vec<&str> = e.names().collect();
            Val::Enum(u.choose(&names)?.to_string())
        }
        Type::Option(o) => {
            if u.arbitrary()? {
                Val::Option(Some(Box::new(gen_val(&o.ty(), u, d)?)))
            } else {
                Val::Option(None)
            }
        }
        Type::Result(r) => {
            let (ok, ty) = if u.arbitrary()? {
                (true, r.ok())
            } else {
                (false, r.err())
            };
            let payload = match ty {
                Some(t) => Some(Box::new(gen_val(&t, u, d)?)),
                None => None,
            };
            Val::Result(if ok { Ok(payload) } else { Err(payload) })
        }
        Type::Flags(f) => {
            let mut set = Vec::new();
            for n in f.names() {
                if u.arbitrary()? {
                    set.push(n.to_string());
                }
            }
            Val::Flags(set)
        }
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            return Err(arbitrary::Error::IncorrectFormat);
        }
    })
}
