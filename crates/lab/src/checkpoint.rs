//! A trained prefix kept for later: the model's weights as plain numbers
//! (every float parameter, flattened, in the module's visiting order) and the
//! phase's log. A host that keeps checkpoints (the page keeps them in
//! IndexedDB) lets a later run skip training a prefix it has trained before;
//! a phase's randomness comes from its prefix key, so a recalled prefix gives
//! exactly what training it again would.
//!
//! As a file (`to_bytes`: the CLI's processes share them in a folder, the
//! page ships some): `[u32 LE header length][header JSON: key, prefix, log]
//! [f32 LE weights]`, exact, and read back only for the key it names.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::backend::read_floats;
use crate::error::{LabError, Result};
use crate::eval::{Condition, Counts};
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
    /// Its scores on the stage conditions (`Condition::STAGES`), so a unit
    /// that recalls it need not score it again; empty in older ones.
    #[serde(default)]
    pub stages: Vec<(Condition, Counts)>,
    /// The evaluation settings those scores were made under
    /// (`experiment::stage_setup`): an experiment that evaluates otherwise
    /// (another episode count, other held-out families) scores again.
    #[serde(default)]
    pub stages_for: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    /// The prefix key, 16 hex digits.
    key: String,
    prefix: String,
    log: PhaseLog,
    #[serde(default)]
    stages: Vec<(Condition, Counts)>,
    #[serde(default)]
    stages_for: String,
}

impl Checkpoint {
    /// The checkpoint of prefix `key` as a file.
    pub fn to_bytes(&self, key: u64) -> Vec<u8> {
        let header = serde_json::to_vec(&Header {
            key: format!("{key:016x}"),
            prefix: self.prefix.clone(),
            log: self.log.clone(),
            stages: self.stages.clone(),
            stages_for: self.stages_for.clone(),
        })
        .expect("headers serialise");
        let mut out = Vec::with_capacity(4 + header.len() + 4 * self.weights.len());
        out.extend((header.len() as u32).to_le_bytes());
        out.extend(header);
        out.extend(self.weights.iter().flat_map(|w| w.to_le_bytes()));
        out
    }

    /// A checkpoint file's contents, if it is the one of prefix `key`.
    pub fn from_bytes(bytes: &[u8], key: u64) -> Result<Self> {
        let key = format!("{key:016x}");
        let bad = |what: String| LabError::Invalid(format!("checkpoint {key}: {what}"));
        let short = || bad("the file is cut short".into());
        let len = u32::from_le_bytes(bytes.get(..4).ok_or_else(short)?.try_into().expect("4 bytes")) as usize;
        let end = 4usize.checked_add(len).ok_or_else(short)?;
        let header: Header = serde_json::from_slice(bytes.get(4..end).ok_or_else(short)?)
            .map_err(|e| bad(format!("unreadable header: {e}")))?;
        if header.key != key {
            return Err(bad(format!("the file is of prefix {}", header.key)));
        }
        let weights = &bytes[end..];
        if !weights.len().is_multiple_of(4) {
            return Err(short());
        }
        // Its scores and curve are shown as a run's own: checked as a
        // results file's are (counts that add up, rates that are rates).
        if let Some((condition, _)) = header.stages.iter().find(|(_, c)| !c.consistent()) {
            return Err(bad(format!("its {} counts do not add up", condition.name())));
        }
        let log = &header.log;
        let rates = log.honest.iter().chain(&log.gamed).chain(&log.accepted_error);
        if log.loss.iter().any(|l| !l.is_finite()) || rates.clone().any(|r| !(0.0..=1.0).contains(r)) {
            return Err(bad("its training curve holds numbers no phase logs".into()));
        }
        Ok(Self {
            prefix: header.prefix,
            weights: weights
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect(),
            log: header.log,
            stages: header.stages,
            stages_for: header.stages_for,
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_file_reads_back_exactly_and_only_for_its_key() {
        let c = Checkpoint {
            prefix: "text".into(),
            weights: vec![1.5, -0.25, f32::MIN_POSITIVE, 3.0e-9, -0.0],
            log: PhaseLog::default(),
            stages: vec![(Condition::InDistribution, Counts::default())],
            stages_for: "0123456789abcdef".into(),
        };
        let file = c.to_bytes(0xab);
        let back = Checkpoint::from_bytes(&file, 0xab).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.weights[4].to_bits(), (-0.0f32).to_bits());
        assert!(
            Checkpoint::from_bytes(&file, 0xac)
                .unwrap_err()
                .to_string()
                .contains("of prefix 00000000000000ab")
        );
        for cut in [0, 3, 10, file.len() - 1] {
            assert!(
                Checkpoint::from_bytes(&file[..cut], 0xab).is_err(),
                "cut at {cut}"
            );
        }
        let mut huge = file.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Checkpoint::from_bytes(&huge, 0xab).is_err());
        // Scores and curves that no run makes are refused with the file.
        let bad_counts = Checkpoint {
            stages: vec![(
                Condition::InDistribution,
                Counts {
                    episodes: 1,
                    honest: 5,
                    ..Counts::default()
                },
            )],
            ..c.clone()
        };
        let err = Checkpoint::from_bytes(&bad_counts.to_bytes(0xab), 0xab).unwrap_err();
        assert!(err.to_string().contains("do not add up"), "{err}");
        let with_log = |log: PhaseLog| Checkpoint { log, ..c.clone() }.to_bytes(0xab);
        let rate = PhaseLog {
            gamed: vec![1.5],
            ..PhaseLog::default()
        };
        let err = Checkpoint::from_bytes(&with_log(rate), 0xab).unwrap_err();
        assert!(err.to_string().contains("training curve"), "{err}");
        // A NaN loss is written as JSON's null, which no header reads.
        let nan = PhaseLog {
            loss: vec![f32::NAN],
            ..PhaseLog::default()
        };
        assert!(Checkpoint::from_bytes(&with_log(nan), 0xab).is_err());
    }
}
