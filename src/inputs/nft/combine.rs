//! Conditions on the model's fields, and how two of them on one field combine (exactly: sets of
//! values intersect or subtract).

use crate::layers::{CtState, Family, FwMatch, Neg, PortRange, Protocol};
use crate::net::AddrRange;

/// One condition on the model's fields.
#[derive(Debug, Clone)]
pub(super) enum Cond {
    Family(Family),
    Proto(Neg<Protocol>),
    Src(Neg<Vec<AddrRange>>),
    Dst(Neg<Vec<AddrRange>>),
    Sport(Neg<Vec<PortRange>>),
    Dport(Neg<Vec<PortRange>>),
    Iif(Neg<String>),
    Oif(Neg<String>),
    Ct(Neg<Vec<CtState>>),
}

/// Why a condition could not be added to a match.
pub(super) enum Clash {
    /// The rule's conditions exclude each other.
    Never(String),
    Unmodelled(String),
}

/// Adds one condition to a match: exactly (intersecting with what is there), or says why not.
pub(super) fn apply(m: &mut FwMatch, chain: Family, c: Cond) -> Result<(), Clash> {
    match c {
        Cond::Family(f) => restrict_family(m, chain, f),
        Cond::Proto(p) => {
            m.protocol = Some(combine_eq(m.protocol.take(), p, "protocols")?);
            Ok(())
        }
        Cond::Iif(i) => {
            m.iif = Some(combine_eq(m.iif.take(), i, "input interfaces")?);
            Ok(())
        }
        Cond::Oif(o) => {
            m.oif = Some(combine_eq(m.oif.take(), o, "output interfaces")?);
            Ok(())
        }
        Cond::Src(a) => {
            m.src = Some(combine_addrs(m.src.take(), a)?);
            Ok(())
        }
        Cond::Dst(a) => {
            m.dst = Some(combine_addrs(m.dst.take(), a)?);
            Ok(())
        }
        Cond::Sport(p) => {
            m.sport = Some(combine_ports(m.sport.take(), p)?);
            Ok(())
        }
        Cond::Dport(p) => {
            m.dport = Some(combine_ports(m.dport.take(), p)?);
            Ok(())
        }
        Cond::Ct(s) => {
            m.ct_state = Some(combine_ct(m.ct_state.take(), s)?);
            Ok(())
        }
    }
}

fn restrict_family(m: &mut FwMatch, chain: Family, f: Family) -> Result<(), Clash> {
    let clash = || Clash::Never("it needs both IPv4 and IPv6".to_string());
    match (chain, f) {
        (_, Family::Inet) => Ok(()),
        (Family::Inet, _) => match m.family {
            None => {
                m.family = Some(f);
                Ok(())
            }
            Some(g) if g == f => Ok(()),
            Some(_) => Err(clash()),
        },
        (c, f) if c == f => Ok(()),
        _ => Err(clash()),
    }
}

/// Two conditions on a single-valued field (protocol, interface).
fn combine_eq(
    old: Option<Neg<String>>,
    new: Neg<String>,
    what: &str,
) -> Result<Neg<String>, Clash> {
    let Some(old) = old else { return Ok(new) };
    let wild = |s: &str| s.ends_with('*');
    if old == new {
        return Ok(new);
    }
    if wild(&old.value) || wild(&new.value) {
        return Err(Clash::Unmodelled(format!(
            "two conditions on {what} with a wildcard (`{}`, `{}`) are not modelled",
            old.value, new.value
        )));
    }
    match (old.negated, new.negated) {
        (false, false) => Err(Clash::Never(format!(
            "it needs two {what}, `{}` and `{}`",
            old.value, new.value
        ))),
        (false, true) if old.value != new.value => Ok(old),
        (true, false) if old.value != new.value => Ok(new),
        (true, true) => Err(Clash::Unmodelled(format!(
            "excluding two {what} (`{}`, `{}`) is not modelled",
            old.value, new.value
        ))),
        _ => Err(Clash::Never(format!(
            "it both needs and excludes `{}`",
            new.value
        ))),
    }
}

/// Inclusive ranges tagged by family (0 for ports and IPv4, 1 for IPv6), sorted and merged.
type Span = (u8, u128, u128);

fn normalize(mut v: Vec<Span>) -> Vec<Span> {
    v.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(v.len());
    for s in v {
        match out.last_mut() {
            Some(last) if last.0 == s.0 && s.1 <= last.2.saturating_add(1) => {
                last.2 = last.2.max(s.2);
            }
            _ => out.push(s),
        }
    }
    out
}

fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        if x.0 == y.0 {
            let lo = x.1.max(y.1);
            let hi = x.2.min(y.2);
            if lo <= hi {
                out.push((x.0, lo, hi));
            }
        }
        if (x.0, x.2) < (y.0, y.2) {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

fn subtract(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut j = 0;
    for &(f, lo, hi) in a {
        let mut lo = lo;
        let mut done = false;
        while let Some(&(g, blo, bhi)) = b.get(j) {
            if (g, bhi) < (f, lo) {
                j += 1;
                continue;
            }
            if g != f || blo > hi {
                break;
            }
            if blo > lo {
                out.push((f, lo, blo - 1));
            }
            if bhi >= hi {
                done = true;
                break;
            }
            lo = bhi + 1;
            j += 1;
        }
        if !done {
            out.push((f, lo, hi));
        }
    }
    out
}

/// Two conditions on a set-valued field, exactly: a set is a disjunction, so `is(a) && is(b)`
/// is `is(a ∩ b)`, `is(a) && not(b)` is `is(a − b)`, `not(a) && not(b)` is `not(a ∪ b)`.
fn combine_spans(
    old: Option<Neg<Vec<Span>>>,
    new: Neg<Vec<Span>>,
) -> Result<Neg<Vec<Span>>, Clash> {
    let new = Neg {
        negated: new.negated,
        value: normalize(new.value),
    };
    let Some(old) = old else { return Ok(new) };
    let value = match (old.negated, new.negated) {
        (false, false) => intersect(&old.value, &new.value),
        (false, true) => subtract(&old.value, &new.value),
        (true, false) => subtract(&new.value, &old.value),
        (true, true) => {
            let mut all = old.value;
            all.extend(new.value);
            return Ok(Neg::not(normalize(all)));
        }
    };
    if value.is_empty() {
        return Err(Clash::Never(
            "its conditions on one field exclude each other".to_string(),
        ));
    }
    Ok(Neg::is(value))
}

fn combine_addrs(
    old: Option<Neg<Vec<AddrRange>>>,
    new: Neg<Vec<AddrRange>>,
) -> Result<Neg<Vec<AddrRange>>, Clash> {
    let to = |n: Neg<Vec<AddrRange>>| Neg {
        negated: n.negated,
        value: n.value.iter().map(|a| (a.v6 as u8, a.lo, a.hi)).collect(),
    };
    let out = combine_spans(old.map(to), to(new))?;
    Ok(Neg {
        negated: out.negated,
        value: out
            .value
            .into_iter()
            .map(|(f, lo, hi)| AddrRange { v6: f == 1, lo, hi })
            .collect(),
    })
}

fn combine_ports(
    old: Option<Neg<Vec<PortRange>>>,
    new: Neg<Vec<PortRange>>,
) -> Result<Neg<Vec<PortRange>>, Clash> {
    let to = |n: Neg<Vec<PortRange>>| Neg {
        negated: n.negated,
        value: n
            .value
            .iter()
            .map(|&(lo, hi)| (0u8, lo as u128, hi as u128))
            .collect(),
    };
    let out = combine_spans(old.map(to), to(new))?;
    Ok(Neg {
        negated: out.negated,
        value: out
            .value
            .into_iter()
            .map(|(_, lo, hi)| (lo as u16, hi as u16))
            .collect(),
    })
}

fn combine_ct(
    old: Option<Neg<Vec<CtState>>>,
    new: Neg<Vec<CtState>>,
) -> Result<Neg<Vec<CtState>>, Clash> {
    let code = |s: &CtState| *s as u8;
    let to = |n: Neg<Vec<CtState>>| Neg {
        negated: n.negated,
        value: n
            .value
            .iter()
            .map(|s| (0u8, code(s) as u128, code(s) as u128))
            .collect(),
    };
    let out = combine_spans(old.map(to), to(new))?;
    let all = [
        CtState::New,
        CtState::Established,
        CtState::Related,
        CtState::Invalid,
        CtState::Untracked,
    ];
    let value = out
        .value
        .iter()
        .flat_map(|&(_, lo, hi)| {
            all.iter()
                .filter(move |s| (lo..=hi).contains(&(code(s) as u128)))
        })
        .copied()
        .collect();
    Ok(Neg {
        negated: out.negated,
        value,
    })
}
