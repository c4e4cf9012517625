//! Evaluates the bundle's Rego (with regorus) on the input document.

use serde::Deserialize;

/// What `data.portmatrix.report` evaluates to.
#[derive(Debug, Deserialize)]
pub struct EngineReport {
    pub flows: Vec<EngineVerdict>,
    pub findings: Vec<EngineFinding>,
}

#[derive(Debug, Deserialize)]
pub struct EngineVerdict {
    pub id: String,
    pub status: String,
    pub reason: String,
    #[serde(default)]
    pub decided_by: Vec<EngineDecision>,
}

#[derive(Debug, Deserialize, Clone)]
pub struct EngineDecision {
    pub policy: String,
    pub direction: String,
    pub effect: String,
    /// An id from the input's location table.
    pub loc: usize,
}

#[derive(Debug, Deserialize)]
pub struct EngineFinding {
    pub rule: String,
    pub message: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub flow: Option<String>,
    /// An id from the input's location table.
    #[serde(default)]
    pub loc: Option<usize>,
}

/// A regorus engine loaded with the bundle's rules and data.
pub fn bundle_engine() -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine.set_rego_v0(false);
    for (path, text) in crate::bundle::POLICIES {
        engine
            .add_policy(path.to_string(), text.to_string())
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let mut matrices = serde_json::Map::new();
    for m in crate::matrix::builtin()? {
        let value = serde_json::to_value(&m).map_err(|e| e.to_string())?;
        matrices.insert(m.driver.clone(), value);
    }
    let data = serde_json::json!({ "matrix": matrices });
    engine
        .add_data_json(&data.to_string())
        .map_err(|e| format!("matrix data: {e}"))?;
    Ok(engine)
}

/// Evaluates `data.portmatrix.report` for one input document.
pub fn evaluate(input_json: &str) -> Result<EngineReport, String> {
    let mut engine = bundle_engine()?;
    engine
        .set_input_json(input_json)
        .map_err(|e| format!("input document: {e}"))?;
    let value = engine
        .eval_rule("data.portmatrix.report".to_string())
        .map_err(|e| format!("evaluating data.portmatrix.report: {e}"))?;
    let json = value.to_json_str().map_err(|e| e.to_string())?;
    serde_json::from_str(&json).map_err(|e| format!("unexpected report shape: {e}"))
}
