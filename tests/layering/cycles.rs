//! Cycles in a directed graph, each reported as a path that comes back to where it started.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A set of nodes each reachable from every other (a strongly connected component of more than one
/// node), and one cycle through it.
#[derive(Debug, PartialEq)]
pub struct Cycle<N> {
    /// A shortest way round from the component's first node: `[a, b, c]` is a -> b -> c -> a.
    pub way_round: Vec<N>,
    /// Every node of the component, each on some cycle with the others.
    pub members: Vec<N>,
}

/// One cycle per strongly connected component of more than one node (Tarjan).
pub fn cycles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Cycle<N>> {
    let nodes: Vec<N> =
        edges.keys().chain(edges.values().flatten()).cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let index: BTreeMap<&N, usize> = nodes.iter().enumerate().map(|(i, n)| (n, i)).collect();
    let next: Vec<Vec<usize>> =
        nodes.iter().map(|n| edges.get(n).map_or(vec![], |to| to.iter().map(|t| index[t]).collect())).collect();
    let named = |ids: Vec<usize>| -> Vec<N> { ids.into_iter().map(|i| nodes[i].clone()).collect() };
    let mut found: Vec<Cycle<N>> = components(&next)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| Cycle { way_round: named(way_round(&next, &c)), members: named(c) })
        .collect();
    found.sort_by(|a, b| a.members.cmp(&b.members));
    found
}

/// Tarjan's strongly connected components.
fn components(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        next: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State, v: usize) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.next[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(i) if s.on_stack[w] => s.low[v] = s.low[v].min(i),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let n = next.len();
    let mut s = State {
        next,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: vec![],
        counter: 0,
        out: vec![],
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.out
}

/// A shortest way from the component's first node back to it, inside the component.
fn way_round(next: &[Vec<usize>], component: &[usize]) -> Vec<usize> {
    let start = component[0];
    let inside: BTreeSet<usize> = component.iter().copied().collect();
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &next[v] {
            if w == start {
                let mut path = vec![v];
                while let Some(&p) = came_from.get(path.last().unwrap()) {
                    path.push(p);
                }
                path.reverse();
                return path;
            }
            if inside.contains(&w) && !came_from.contains_key(&w) && w != start {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    unreachable!("a strongly connected component has a way round")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&'static str, &'static str)]) -> BTreeMap<&'static str, BTreeSet<&'static str>> {
        let mut g: BTreeMap<_, BTreeSet<_>> = BTreeMap::new();
        for (a, b) in edges {
            g.entry(*a).or_default().insert(*b);
        }
        g
    }

    #[test]
    fn a_cycle_is_reported_as_the_way_round_and_a_dag_has_none() {
        assert!(cycles(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])).is_empty());
        let found = cycles(&graph(&[
            ("a", "b"),
            ("b", "c"),
            ("c", "d"),
            ("d", "b"),
            ("c", "e"),
            ("e", "b"),
            ("x", "y"),
            ("y", "x"),
        ]));
        let want = [
            Cycle { way_round: vec!["b", "c", "d"], members: vec!["b", "c", "d", "e"] },
            Cycle { way_round: vec!["x", "y"], members: vec!["x", "y"] },
        ];
        assert_eq!(found, want);
    }
}
