//! A trained prefix kept for later: the model's weights as plain numbers
//! (every float parameter, flattened, in the module's visiting order) and the
//! phase's log. A host that keeps checkpoints (the page keeps them in
//! IndexedDB) lets a later run skip training a prefix it has trained before;
//! a phase's randomness comes from its prefix key, so a recalled prefix gives
//! exactly what training it again would.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::read_floats;
use crate::error::{LabError, Result};
use crate::model::Gpt;
use crate::results::PhaseLog;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// What was trained: `spec::prefix_text` of the prefix. A recalled
    /// checkpoint whose text differs from the prefix asked for (a key
    /// collision, an older store) is trained again.
    pub prefix: String,
    pub weights: Vec<f32>,
    pub log: PhaseLog,
}

/// Every float parameter of `model`, flattened, in one read.
pub async fn weights(model: &Gpt) -> Result<Vec<f32>> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().reshape([-1]));
        }
    }
    let mut c = Collect(vec![]);
    model.visit(&mut c);
    read_floats(Tensor::cat(c.0, 0)).await
}

/// `model` with its parameters replaced by `weights` (as [`weights`] wrote
/// them). A checkpoint of another shape, or gone bad (non-finite), is
/// refused, not half-loaded: the prefix is trained again.
pub fn load(model: Gpt, weights: &[f32]) -> Result<Gpt> {
    struct Count(usize);
    impl ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0 += param.shape().num_elements();
        }
    }
    let mut count = Count(0);
    model.visit(&mut count);
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(LabError::Invalid("a checkpoint with non-finite weights".into()));
    }
    if count.0 != weights.len() {
        return Err(LabError::Invalid(format!(
            "a checkpoint of {} numbers does not fit a model of {} parameters",
            weights.len(),
            count.0
        )));
    }
    struct Fill<'a> {
        weights: &'a [f32],
        at: usize,
    }
    impl ModuleMapper for Fill<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| {
                let shape = t.shape();
                let n = shape.num_elements();
                let part = self.weights[self.at..self.at + n].to_vec();
                self.at += n;
                Tensor::<1>::from_data(TensorData::new(part, [n]), &t.device()).reshape(shape)
            })
        }
    }
    Ok(model.map(&mut Fill { weights, at: 0 }))
}
