//! In training (dropout on), no Transformer position sees a later one: the outputs of the
//! earlier positions have no gradient with respect to the last input, whatever the dropout masks.

use burn::backend::Autodiff;
use burn::tensor::{Distribution, Tensor};
use euterpe_models::backend::Cpu;
use euterpe_models::config::TransformerConfig;
use euterpe_models::transformer::CausalTransformer;

type Ad = Autodiff<Cpu>;

#[test]
fn training_with_dropout_stays_causal() {
    let device = Default::default();
    let config = TransformerConfig {
        hidden: 16,
        heads: 2,
        layers: 2,
        dropout: 0.5,
        max_len: 32,
        ..TransformerConfig::default()
    };
    let model: CausalTransformer<Ad> = config.init(16, &device);
    let (batch, steps) = (2, 9);
    for _ in 0..5 {
        let x = Tensor::<Ad, 3>::random([batch, steps, 16], Distribution::Default, &device)
            .require_grad();
        let earlier = model.forward(x.clone()).narrow(1, 0, steps - 1);
        let grads = (earlier.powi_scalar(2)).sum().backward();
        let grad = x.grad(&grads).expect("the input has a gradient");
        let on_last: f32 = grad
            .clone()
            .narrow(1, steps - 1, 1)
            .abs()
            .max()
            .into_scalar();
        let on_first: f32 = grad.narrow(1, 0, 1).abs().max().into_scalar();
        assert!(on_first > 0.0, "the check sees gradients at all");
        assert_eq!(
            on_last, 0.0,
            "an earlier position depends on the last input"
        );
    }
}
