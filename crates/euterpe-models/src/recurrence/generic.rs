//! The recurrences written with burn tensor operations: correct on every backend, and the
//! reference that the fused CPU loops are tested against.
//!
//! Back-propagation through time, per step from the last (`dh` is the loss gradient at the step's
//! hidden state plus what flows back from the next step; `σ' = σ(1 − σ)`, `tanh' = 1 − tanh²`):
//!
//! * RNN, `h = tanh(p)`, `p = x + h₋·w`: `dp = dh · (1 − h²)`; `dh₋ = dp · wᵀ`.
//! * LSTM, `c = f c₋ + i g`, `h = o tanh(c)`: `do = dh tanh(c)`;
//!   `dc = dc₊ + dh o (1 − tanh² c)`; `di = dc g`, `dg = dc i`, `df = dc c₋`, `dc₋ = dc f`; the
//!   gradients at the pre-activations are `di σ'(i)`, `df σ'(f)`, `dg (1 − g²)`, `do σ'(o)`;
//!   `dh₋ = dp · wᵀ`.
//! * GRU, `r = σ(xr + hr)`, `z = σ(xz + hz)`, `n = tanh(xn + r hn)`, `h = (1 − z) n + z h₋`
//!   (`hr hz hn = h₋·w + b`): `dn = dh (1 − z)`, `dz = dh (h₋ − n)`; `dn' = dn (1 − n²)`,
//!   `dr' = dn' hn σ'(r)`, `dz' = dz σ'(z)`; at the input projection `(dr', dz', dn')`, at the
//!   hidden projection `(dr', dz', dn' r)`; `dh₋ = dh z + (hidden-projection gradient) · wᵀ`.

use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::backend::Backend;
use burn::tensor::ops::FloatTensor;
use burn::tensor::Tensor;

use super::{unwrap, wrap, Cell, Initial, Params, RecurrenceParams, Trace};
use crate::ops::ModelBackend;

/// Step `t` of a `[batch, time, width]` tensor, as `[batch, width]`.
fn at<B: Backend>(x: &Tensor<B, 3>, t: usize) -> Tensor<B, 2> {
    let [batch, _, width] = x.dims();
    x.clone().narrow(1, t, 1).reshape([batch, width])
}

/// Chunk `k` of width `h` along the last dimension.
fn chunk<B: Backend>(x: &Tensor<B, 2>, k: usize, h: usize) -> Tensor<B, 2> {
    x.clone().narrow(1, k * h, h)
}

/// One forward step: the new hidden state and the step's saved activations.
fn forward_step<B: Backend>(
    cell: Cell,
    x: Tensor<B, 2>,
    w: &Tensor<B, 2>,
    bias: Option<&Tensor<B, 1>>,
    h_prev: &Tensor<B, 2>,
    c_prev: &Tensor<B, 2>,
) -> (Tensor<B, 2>, Option<Tensor<B, 2>>) {
    let h = w.dims()[0];
    let mut rec = h_prev.clone().matmul(w.clone());
    if let Some(b) = bias {
        rec = rec + b.clone().unsqueeze_dim::<2>(0);
    }
    match cell {
        Cell::Rnn => (tanh(x + rec), None),
        Cell::Lstm => {
            let pre = x + rec;
            let i = sigmoid(chunk(&pre, 0, h));
            let f = sigmoid(chunk(&pre, 1, h));
            let g = tanh(chunk(&pre, 2, h));
            let o = sigmoid(chunk(&pre, 3, h));
            let c = f.clone() * c_prev.clone() + i.clone() * g.clone();
            let hidden = o.clone() * tanh(c.clone());
            (hidden, Some(Tensor::cat(vec![i, f, g, o, c], 1)))
        }
        Cell::Gru => {
            let r = sigmoid(chunk(&x, 0, h) + chunk(&rec, 0, h));
            let z = sigmoid(chunk(&x, 1, h) + chunk(&rec, 1, h));
            let hn = chunk(&rec, 2, h);
            let n = tanh(chunk(&x, 2, h) + r.clone() * hn.clone());
            let hidden = (z.clone().neg() + 1.0) * n.clone() + z.clone() * h_prev.clone();
            (hidden, Some(Tensor::cat(vec![r, z, n, hn], 1)))
        }
    }
}

/// The recurrence over every step, written over tensors of any backend (autodiff included, which
/// is how the tests obtain reference gradients).
pub fn forward_tensors<B: Backend>(
    cell: Cell,
    xp: Tensor<B, 3>,
    params: RecurrenceParams<B>,
    initial: Option<(Tensor<B, 2>, Option<Tensor<B, 2>>)>,
) -> (Tensor<B, 3>, Option<Tensor<B, 3>>) {
    let [batch, time, _] = xp.dims();
    let RecurrenceParams {
        input_bias,
        w,
        hidden_bias: bias,
    } = params;
    let xp = xp + input_bias.unsqueeze_dim::<2>(0).unsqueeze_dim::<3>(0);
    let h = w.dims()[0];
    let device = xp.device();
    let (mut h_prev, c0) = initial.unwrap_or_else(|| (Tensor::zeros([batch, h], &device), None));
    let mut c_prev = c0.unwrap_or_else(|| Tensor::zeros([batch, h], &device));
    let mut hidden = Vec::with_capacity(time);
    let mut saved = Vec::with_capacity(time);
    for t in 0..time {
        let (h_new, s) = forward_step(cell, at(&xp, t), &w, bias.as_ref(), &h_prev, &c_prev);
        if let Some(s) = s {
            if cell == Cell::Lstm {
                c_prev = s.clone().narrow(1, 4 * h, h);
            }
            saved.push(s);
        }
        hidden.push(h_new.clone());
        h_prev = h_new;
    }
    let saved = (!saved.is_empty()).then(|| Tensor::stack(saved, 1));
    (Tensor::stack(hidden, 1), saved)
}

/// [`ModelBackend::recurrence_forward`](super::ModelBackend::recurrence_forward) on
/// primitives.
pub fn forward<B: Backend>(
    cell: Cell,
    xp: FloatTensor<B>,
    params: Params<B>,
    initial: Option<Initial<B>>,
) -> Trace<B> {
    let initial = initial.map(|s| (wrap(s.hidden), s.cell.map(wrap)));
    let params = RecurrenceParams {
        input_bias: wrap(params.input_bias),
        w: wrap(params.w),
        hidden_bias: params.hidden_bias.map(wrap),
    };
    let (hidden, saved) = forward_tensors::<B>(cell, wrap(xp), params, initial);
    Trace {
        hidden: unwrap(hidden),
        saved: saved.map(unwrap),
    }
}

/// [`ModelBackend::recurrent_step`](crate::ModelBackend::recurrent_step) from the backend's own
/// operations: the input projection `x · w_ih` ([`ModelBackend::affine`]), then
/// [`recurrence_from`](super::recurrence_from) over that one step.
pub fn step<B: ModelBackend>(
    cell: Cell,
    x: FloatTensor<B>,
    input_weight: FloatTensor<B>,
    params: Params<B>,
    state: Initial<B>,
) -> Initial<B> {
    let xp: Tensor<B, 2> = wrap(B::affine(x, input_weight, None));
    let [batch, gates] = xp.dims();
    let params = RecurrenceParams {
        input_bias: wrap(params.input_bias),
        w: wrap(params.w),
        hidden_bias: params.hidden_bias.map(wrap),
    };
    let (_, hidden, cell_state) = super::recurrence_from(
        cell,
        xp.reshape([batch, 1, gates]),
        params,
        wrap(state.hidden),
        state.cell.map(wrap),
    );
    Initial {
        hidden: unwrap(hidden),
        cell: cell_state.map(unwrap),
    }
}

/// [`ModelBackend::recurrence_backward`](super::ModelBackend::recurrence_backward) on
/// primitives: the formulas of the module documentation, one step at a time from the last.
pub fn backward<B: Backend>(
    cell: Cell,
    w: FloatTensor<B>,
    trace: Trace<B>,
    grad_hidden: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let w: Tensor<B, 2> = wrap(w);
    let hidden: Tensor<B, 3> = wrap(trace.hidden);
    let saved: Option<Tensor<B, 3>> = trace.saved.map(wrap);
    let grad: Tensor<B, 3> = wrap(grad_hidden);
    let [batch, time, h] = hidden.dims();
    let device = hidden.device();
    let zeros = || Tensor::<B, 2>::zeros([batch, h], &device);
    let (mut dh_next, mut dc_next) = (zeros(), zeros());
    let mut dx = Vec::with_capacity(time);
    let mut dhp = Vec::with_capacity(time);
    for t in (0..time).rev() {
        let dh = at(&grad, t) + dh_next;
        let s = saved.as_ref().map(|s| at(s, t));
        let (dx_t, dhp_t, direct) = match cell {
            Cell::Rnn => {
                let y = at(&hidden, t);
                let dp = dh * (y.clone().powi_scalar(2).neg() + 1.0);
                (dp.clone(), dp, None)
            }
            Cell::Lstm => {
                let s = s.expect("the LSTM saves its gates");
                let (i, f, g, o, c) = (
                    chunk(&s, 0, h),
                    chunk(&s, 1, h),
                    chunk(&s, 2, h),
                    chunk(&s, 3, h),
                    chunk(&s, 4, h),
                );
                let c_prev = match (t, &saved) {
                    (0, _) | (_, None) => zeros(),
                    (_, Some(all)) => chunk(&at(all, t - 1), 4, h),
                };
                let tc = tanh(c);
                let d_o = dh.clone() * tc.clone();
                let dc = dc_next + dh * o.clone() * (tc.powi_scalar(2).neg() + 1.0);
                let di = dc.clone() * g.clone();
                let dg = dc.clone() * i.clone();
                let df = dc.clone() * c_prev;
                dc_next = dc * f.clone();
                let dp = Tensor::cat(
                    vec![
                        di * i.clone() * (i.neg() + 1.0),
                        df * f.clone() * (f.neg() + 1.0),
                        dg * (g.powi_scalar(2).neg() + 1.0),
                        d_o * o.clone() * (o.neg() + 1.0),
                    ],
                    1,
                );
                (dp.clone(), dp, None)
            }
            Cell::Gru => {
                let s = s.expect("the GRU saves its gates");
                let (r, z, n, hn) = (
                    chunk(&s, 0, h),
                    chunk(&s, 1, h),
                    chunk(&s, 2, h),
                    chunk(&s, 3, h),
                );
                let h_prev = if t == 0 { zeros() } else { at(&hidden, t - 1) };
                let dn = dh.clone() * (z.clone().neg() + 1.0);
                let dz = dh.clone() * (h_prev - n.clone());
                let direct = dh * z.clone();
                let dn_pre = dn * (n.powi_scalar(2).neg() + 1.0);
                let dr_pre = dn_pre.clone() * hn * r.clone() * (r.clone().neg() + 1.0);
                let dz_pre = dz * z.clone() * (z.neg() + 1.0);
                let dx_t = Tensor::cat(vec![dr_pre.clone(), dz_pre.clone(), dn_pre.clone()], 1);
                let dhp_t = Tensor::cat(vec![dr_pre, dz_pre, dn_pre * r], 1);
                (dx_t, dhp_t, Some(direct))
            }
        };
        let back = dhp_t.clone().matmul(w.clone().transpose());
        dh_next = match direct {
            Some(d) => d + back,
            None => back,
        };
        dx.push(dx_t);
        dhp.push(dhp_t);
    }
    dx.reverse();
    dhp.reverse();
    (
        unwrap(Tensor::stack::<3>(dx, 1)),
        unwrap(Tensor::stack::<3>(dhp, 1)),
    )
}

/// [`ModelBackend::affine`](super::ModelBackend::affine) with tensor operations.
pub fn affine<B: Backend>(
    x: FloatTensor<B>,
    w: FloatTensor<B>,
    b: Option<FloatTensor<B>>,
) -> FloatTensor<B> {
    let y = wrap::<B, 2>(x).matmul(wrap(w));
    unwrap(match b {
        Some(b) => y + wrap::<B, 1>(b).unsqueeze_dim::<2>(0),
        None => y,
    })
}
