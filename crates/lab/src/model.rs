//! The whole tiny GPT: config, causal self-attention, MLP, block, model.
//!
//! Same architecture as `shared/bench/torch_ref.py` (and nanoGPT): token +
//! learned position embeddings, pre-LayerNorm blocks, a 4x GELU MLP, a final
//! LayerNorm and an untied LM head, biases on. Parameter counts match the
//! PyTorch peer exactly (tested below).

use burn::config::Config;
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Bool, Device, Int, Tensor};

/// Shape of a tiny GPT.
#[derive(Config, Debug, PartialEq)]
pub struct GptConfig {
    /// Number of distinct tokens.
    pub vocab_size: usize,
    /// Tokens of context (learned positions); no sequence may be longer.
    #[config(default = 48)]
    pub block_size: usize,
    /// Width of the residual stream.
    #[config(default = 64)]
    pub d_model: usize,
    /// Attention heads; must divide `d_model`.
    #[config(default = 4)]
    pub n_heads: usize,
    /// Transformer blocks.
    #[config(default = 2)]
    pub n_layers: usize,
}

/// flex keeps one global generator: seeding and drawing a model's weights
/// must not interleave with another thread's.
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Touches every parameter, forcing burn's lazy initialisation.
struct Materialize;

impl ModuleVisitor for Materialize {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

impl GptConfig {
    /// A model whose weights depend on `seed` alone, whatever other threads
    /// draw: the device is seeded and every parameter drawn at once, under
    /// a lock (burn initialises parameters lazily, on first use).
    pub fn init_seeded(&self, device: &Device, seed: u64) -> Gpt {
        let _lock = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
        device.seed(seed);
        let model = self.init(device);
        model.visit(&mut Materialize);
        model
    }

    /// Build the model with freshly initialised weights on `device`
    /// (seed the device first for reproducible weights).
    pub fn init(&self, device: &Device) -> Gpt {
        assert!(
            self.d_model.is_multiple_of(self.n_heads),
            "d_model {} is not divisible by n_heads {}",
            self.d_model,
            self.n_heads
        );
        Gpt {
            tok: EmbeddingConfig::new(self.vocab_size, self.d_model).init(device),
            pos: EmbeddingConfig::new(self.block_size, self.d_model).init(device),
            blocks: (0..self.n_layers)
                .map(|_| Block::new(self.d_model, self.n_heads, device))
                .collect(),
            ln_f: LayerNormConfig::new(self.d_model).init(device),
            head: LinearConfig::new(self.d_model, self.vocab_size).init(device),
            block_size: self.block_size,
        }
    }

    /// Number of trainable parameters, computed from the shape alone.
    pub fn num_params(&self) -> usize {
        let (v, t, d) = (self.vocab_size, self.block_size, self.d_model);
        let block = 2 * (2 * d) + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
        v * d + t * d + self.n_layers * block + 2 * d + (d * v + v)
    }

    /// Bytes of one copy of the weights (f32), in u64: exact for any shape
    /// `ExperimentSpec::validate` accepts, saturating beyond (never wraps,
    /// on wasm32 either).
    pub fn weight_bytes(&self) -> u64 {
        let [v, t, d, l] = [self.vocab_size, self.block_size, self.d_model, self.n_layers].map(|x| x as u64);
        let d2 = d.saturating_mul(d);
        // Per block: two LayerNorms (2d each), qkv (3d² + 3d), proj (d² + d),
        // the MLP's two layers (4d² + 4d and 4d² + d): 12d² + 13d.
        let block = d2.saturating_mul(12).saturating_add(13 * d);
        let params = v
            .saturating_mul(d)
            .saturating_add(t.saturating_mul(d))
            .saturating_add(l.saturating_mul(block))
            .saturating_add(2 * d)
            .saturating_add(d.saturating_mul(v).saturating_add(v));
        params.saturating_mul(F32_BYTES)
    }

    /// Bytes of activations one training step on `rows` sequences of `len`
    /// tokens keeps for its backward pass, roughly and on the high side (see
    /// the `SAVED_*` factors). The attention scores (`rows × n_heads × len²`
    /// per layer) are what grows fastest. Saturating: never wraps.
    pub fn step_activation_bytes(&self, rows: u64, len: u64) -> u64 {
        let [v, d, h, l] = [self.vocab_size, self.d_model, self.n_heads, self.n_layers].map(|x| x as u64);
        let tokens = rows.saturating_mul(len);
        let width = tokens.saturating_mul(d); // one [B, T, C] tensor
        let scores = rows.saturating_mul(h).saturating_mul(len.saturating_mul(len)); // one [B, H, T, T]
        let logits = tokens.saturating_mul(v); // one [B, T, V]
        let per_layer = width
            .saturating_mul(SAVED_WIDTH_PER_LAYER)
            .saturating_add(scores.saturating_mul(SAVED_SCORES_PER_LAYER));
        l.saturating_mul(per_layer)
            .saturating_add(width.saturating_mul(SAVED_WIDTH_OUTSIDE))
            .saturating_add(logits.saturating_mul(SAVED_LOGITS))
            .saturating_mul(F32_BYTES)
    }
}

/// Every tensor the model trains with is f32.
const F32_BYTES: u64 = 4;

// What autodiff keeps per training step, in units of one tensor of the
// shape named. Calibrated against the peak resident memory of two-step runs
// on flex (December: pretraining at 256 rows × 128 tokens × 128 wide with 4
// and with 32 heads, 64 × 256 × 256 and 128 × 64 × 256 with 4 layers, and rl
// with 4096 rows): 18 and 3.5 came within 3-13% of every run; these round up,
// and with the weights `ExperimentSpec::memory_estimate` adds, its estimates
// of those runs were 15-19% above their measured peaks.

/// `[B, T, C]` tensors per block: both LayerNorms' inputs and outputs, q, k
/// and v, the heads' output and its projection, the MLP's hidden layer
/// (4 wide) before and after GELU, its output, and the two residual sums.
const SAVED_WIDTH_PER_LAYER: u64 = 20;
/// `[B, H, T, T]` tensors per block: the scores, masked, after softmax, and
/// the mask itself.
const SAVED_SCORES_PER_LAYER: u64 = 4;
/// `[B, T, C]` tensors outside the blocks: the two embeddings and their
/// sum, the final LayerNorm's input and output, and a backward pass's
/// gradient in flight.
const SAVED_WIDTH_OUTSIDE: u64 = 6;
/// `[B, T, vocab]` tensors: the logits, their log-softmax and its gradient.
const SAVED_LOGITS: u64 = 3;

/// Causal multi-head self-attention, one fused QKV projection.
#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    qkv: Linear,
    proj: Linear,
    n_heads: usize,
}

impl CausalSelfAttention {
    fn new(d_model: usize, n_heads: usize, device: &Device) -> Self {
        Self {
            qkv: LinearConfig::new(d_model, 3 * d_model).init(device),
            proj: LinearConfig::new(d_model, d_model).init(device),
            n_heads,
        }
    }

    /// # Shapes
    /// - x: `[B, T, C]`
    /// - output: `[B, T, C]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [b, t, c] = x.dims();
        let (h, hs) = (self.n_heads, c / self.n_heads);
        let x = x.reshape([b * t, c]); // contiguous: a view
        // q, k and v each from their own column block of the fused weight:
        // narrowing the [C, 3C] weight (a strided view flex's matmul reads
        // directly) instead of the [B*T, 3C] activations keeps the heads
        // contiguous and makes the backward pass pad a small weight gradient,
        // not three activation-sized ones.
        let weight = self.qkv.weight.val(); // [C, 3C]
        let bias = self.qkv.bias.as_ref().map(|p| p.val()); // [3C]
        // Scale q by 1/√(C/H) through its weight and bias ([C, C] and [C])
        // rather than the scores ([.., T, T]) or q itself ([.., T, C/H]):
        // the same product, and far fewer elements to multiply.
        let scale = 1.0 / (hs as f64).sqrt();
        let heads = |i: usize| {
            let mut w = weight.clone().narrow(1, i * c, c);
            let mut bias = bias.clone().map(|bias| bias.narrow(0, i * c, c));
            if i == 0 {
                w = w * scale;
                bias = bias.map(|bias| bias * scale);
            }
            let mut z = x.clone().matmul(w); // [B*T, C]
            if let Some(bias) = bias {
                z = z + bias.unsqueeze::<2>();
            }
            z.reshape([b, t, h, hs]) // a view
                .swap_dims(1, 2) // -> [B, H, T, C/H], a strided view
        };
        let (q, k, v) = (heads(0), heads(1), heads(2));
        let att = q.matmul(k.swap_dims(2, 3)); // [B, H, T, T]
        // -1e4, not -inf: WGSL makes no promise about infinities.
        let mask = causal_mask(b, h, t, &att.device());
        let att = softmax(att.mask_fill(mask, -1.0e4), 3);
        let y = att
            .matmul(v) // [B, H, T, C/H]
            .swap_dims(1, 2) // -> [B, T, H, C/H]
            .reshape([b, t, c]); // -> [B, T, C]
        linear_rows(&self.proj, y)
    }
}

/// `linear` on `[B, T, C]` as one `[B*T, C] x [C, N]` matmul.
///
/// burn's `Linear` on a rank-3 input keeps the batch dimension (for these
/// shapes its tiling policy declines to merge it): 64 small matmuls that
/// re-pack the shared weight each time, and in the backward pass a batched
/// weight gradient summed over the batch afterwards. Folding the rows first
/// is one large matmul each way, which gemm also parallelises.
fn linear_rows(linear: &Linear, x: Tensor<3>) -> Tensor<3> {
    let [b, t, c] = x.dims();
    let y = linear.forward(x.reshape([b * t, c]));
    let n = y.dims()[1];
    y.reshape([b, t, n])
}

/// True strictly above the diagonal: the future a position may not see.
/// # Shapes
/// - output: `[B, H, T, T]`
fn causal_mask(b: usize, h: usize, t: usize, device: &Device) -> Tensor<4, Bool> {
    // tril_mask marks what lies outside the lower triangle (diagonal kept).
    Tensor::<2, Bool>::tril_mask([t, t], 0, device)
        .reshape([1, 1, t, t])
        .expand([b, h, t, t])
}

/// The 4x GELU MLP.
#[derive(Module, Debug)]
pub struct Mlp {
    fc: Linear,
    out: Linear,
}

impl Mlp {
    fn new(d_model: usize, device: &Device) -> Self {
        Self {
            fc: LinearConfig::new(d_model, 4 * d_model).init(device),
            out: LinearConfig::new(4 * d_model, d_model).init(device),
        }
    }

    /// # Shapes
    /// - x: `[B, T, C]`
    /// - output: `[B, T, C]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        linear_rows(&self.out, gelu(linear_rows(&self.fc, x)))
    }
}

/// One pre-LayerNorm transformer block.
#[derive(Module, Debug)]
pub struct Block {
    ln1: LayerNorm,
    attn: CausalSelfAttention,
    ln2: LayerNorm,
    mlp: Mlp,
}

impl Block {
    fn new(d_model: usize, n_heads: usize, device: &Device) -> Self {
        Self {
            ln1: LayerNormConfig::new(d_model).init(device),
            attn: CausalSelfAttention::new(d_model, n_heads, device),
            ln2: LayerNormConfig::new(d_model).init(device),
            mlp: Mlp::new(d_model, device),
        }
    }

    /// # Shapes
    /// - x: `[B, T, C]`
    /// - output: `[B, T, C]`
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = x.clone() + self.attn.forward(self.ln1.forward(x));
        x.clone() + self.mlp.forward(self.ln2.forward(x))
    }
}

/// The tiny GPT.
#[derive(Module, Debug)]
pub struct Gpt {
    tok: Embedding,
    pos: Embedding,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    head: Linear,
    block_size: usize,
}

/// Logits plus the residual stream after the embeddings and after each block.
pub struct GptOutput {
    /// `[B, T, vocab]`
    pub logits: Tensor<3>,
    /// `n_layers + 1` tensors of `[B, T, C]`: embeddings, then each block's output.
    pub residuals: Vec<Tensor<3>>,
}

impl Gpt {
    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.head.weight.val().device()
    }

    /// Longest sequence the model accepts.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// # Shapes
    /// - tokens: `[B, T]`, `T <= block_size`
    /// - output: `[B, T, vocab]`
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let mut x = self.embed(tokens);
        for block in &self.blocks {
            x = block.forward(x);
        }
        linear_rows(&self.head, self.ln_f.forward(x))
    }

    /// Like [`Gpt::forward`], also returning every layer's residual stream
    /// (for the depth and probe views).
    pub fn forward_with_residuals(&self, tokens: Tensor<2, Int>) -> GptOutput {
        let mut x = self.embed(tokens);
        let mut residuals = vec![x.clone()];
        for block in &self.blocks {
            x = block.forward(x);
            residuals.push(x.clone());
        }
        GptOutput {
            logits: linear_rows(&self.head, self.ln_f.forward(x)),
            residuals,
        }
    }

    fn embed(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [_, t] = tokens.dims();
        assert!(
            t <= self.block_size,
            "sequence length {t} exceeds block_size {}",
            self.block_size
        );
        let positions = Tensor::<1, Int>::arange(0..t as i64, &tokens.device()).reshape([1, t]);
        self.tok.forward(tokens) + self.pos.forward(positions) // [B, T, C] + [1, T, C]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_count_matches_the_pytorch_peer() {
        // Figures printed by shared/bench/torch_ref.py.
        let tiny = GptConfig::new(48);
        let small = GptConfig::new(48)
            .with_block_size(64)
            .with_d_model(128)
            .with_n_layers(4);
        assert_eq!(tiny.num_params(), 109_360);
        assert_eq!(small.num_params(), 813_872);
        assert_eq!(tiny.init(&Device::flex()).num_params(), 109_360);
        for c in [&tiny, &small] {
            assert_eq!(c.weight_bytes(), 4 * c.num_params() as u64);
        }
    }

    #[test]
    fn shapes_and_residuals() {
        let [b, t, d, v] = [2, 5, 16, 11];
        let device = Device::flex();
        let model = GptConfig::new(v)
            .with_block_size(8)
            .with_d_model(d)
            .with_n_layers(3)
            .init(&device);
        let tokens = Tensor::<2, Int>::zeros([b, t], &device);
        let out = model.forward_with_residuals(tokens);
        assert_eq!(out.logits.dims(), [b, t, v]);
        assert_eq!(out.residuals.len(), 4);
        assert!(out.residuals.iter().all(|r| r.dims() == [b, t, d]));
    }

    #[test]
    fn attention_is_causal() {
        // Changing a later token must not change earlier positions' logits.
        let device = Device::flex();
        let model = GptConfig::new(10)
            .with_block_size(6)
            .with_d_model(16)
            .init_seeded(&device, 3);
        let a = Tensor::<2, Int>::from_ints([[1, 2, 3, 4, 5, 6]], &device);
        let b = Tensor::<2, Int>::from_ints([[1, 2, 3, 9, 9, 9]], &device);
        let la = model.forward(a).narrow(1, 0, 3).into_data();
        let lb = model.forward(b).narrow(1, 0, 3).into_data();
        la.assert_approx_eq::<f32>(&lb, burn::tensor::Tolerance::default());
    }

    #[test]
    #[should_panic(expected = "exceeds block_size")]
    fn too_long_sequence_names_the_limit() {
        let device = Device::flex();
        let model = GptConfig::new(10)
            .with_block_size(4)
            .with_d_model(8)
            .init(&device);
        model.forward(Tensor::<2, Int>::zeros([1, 5], &device));
    }
}
