//! portmatrix compiled to WebAssembly: wasm-bindgen bindings for Node and the browser.
//!
//! A thin shell over the core's one entry point, [`portmatrix::lint`]: arguments come in as JS
//! values and go to [`api`] as JSON; reports go back out as the CLI's `--format json` text,
//! turned into a JS object by `JSON.parse`. API documented in `wasm/README.md`.
//!
//! Why `JSON.parse` of the core's JSON rather than serde-wasm-bindgen: the object a JS caller
//! gets is then the CLI's `--format json` by construction (same serializer, same `null`s for
//! absent locations, where serde-wasm-bindgen would give `undefined` or `Map`s unless tuned),
//! it adds no crate to the module, and `JSON.parse` of a report takes well under a millisecond.

pub mod api;

use api::ApiError;
use js_sys::{Error, JsString, TypeError, JSON};
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One input file: a display name (used in findings) and its text. */
export interface InputFile {
  name: string;
  text: string;
}

/** The argument of `lint()`. */
export interface LintRequest {
  /** Manifests to lint (YAML or JSON, several documents per file allowed). */
  files: InputFile[];
  /** Drivers to check. Default: the profile's drivers, else those detected in the files. */
  drivers?: string[];
  /** The profile: its text (named `.portmatrix.yaml` in findings) or a named file. */
  profile?: string | InputFile;
  /** Your Rego rules (`--policy`): `deny`, `warn`, `info` rules in any package become findings;
   *  files named `*_test.rego` are tests and are not loaded. */
  policies?: InputFile[];
  /** JSON or YAML files merged into the Rego `data` (`--data`). */
  data?: InputFile[];
  /** Your communication matrices (`--matrix`), linted like a built-in driver's; select one with
   *  `drivers: [its driver key]`. One with a built-in driver's name replaces it. */
  matrices?: InputFile[];
  /** The date suppressions expire against, `YYYY-MM-DD`. Default: today (UTC), as the CLI. */
  today?: string;
  /** Report suppressions that matched no finding (`--report-unused-ignores`). */
  reportUnusedIgnores?: boolean;
}

export type Severity = "error" | "warning" | "info";
export type FlowStatus = "allowed" | "blocked" | "partial" | "ungoverned";

/** A rule that decided a flow's verdict, with where it is. */
export interface Decision {
  file: string;
  line: number;
  column: number;
  /** `namespace/name` of a NetworkPolicy, `Kind name` of another policy, `file chain` of a firewall. */
  policy: string;
  direction: "ingress" | "egress" | "forward";
  /** `allow`: lets (part of) the flow through; `deny`: a rule or chain policy drops it;
   *  `isolate`: isolates the pod and allows nothing more. */
  effect: "allow" | "deny" | "isolate";
  /** The enforcement layer: `networkpolicy`, `calico`, `cilium`, `admin`, `baseline`, `iptables`,
   *  `ip6tables`, `nftables`, `firewalld`, `calico-host`, `cilium-host`. */
  layer: string;
}

/** One required flow of a selected driver, and its verdict. */
export interface FlowReport {
  id: string;
  driver: string;
  from: string;
  to: string;
  protocol: string;
  ports: string[];
  /** `name:port` of the Service clients dial, when there is one. */
  service?: string;
  purpose: string;
  status: FlowStatus;
  reason: string;
  decided_by: Decision[];
  /** Where the port came from, when the profile or a driver's workload set it (absent: the
   *  chart's default). */
  port_source?: PortSource;
}

export interface PortSource {
  from: "profile" | "workload" | "chart";
  /** What set it, such as `--web-hook-port=5443 in container ... of Deployment ns/name`. */
  detail: string;
  /** `file:line:column` of what set it. */
  at?: string;
  notes?: string[];
}

/** A finding. Locations are 1-based; columns count characters; `null` when no file expresses it. */
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  help: string;
  flow: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  end_line: number | null;
  end_column: number | null;
}

export interface Summary {
  files: number;
  flows: number;
  allowed: number;
  blocked: number;
  partial: number;
  ungoverned: number;
  errors: number;
  warnings: number;
  infos: number;
  input_errors: number;
}

/** The report: the CLI's `--format json` (docs/report-schema.md), schema version 1. */
export interface Report {
  version: number;
  drivers: string[];
  flows: FlowReport[];
  findings: Finding[];
  summary: Summary;
}

export type MatrixFormat = "table" | "markdown" | "json" | "csv";

/** A rule and its documentation (from the rule's METADATA). */
export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  description: string;
  remediation: string;
  related_resources: string[];
  /** Where the rule is defined. */
  file: string;
}

/** A built-in example: a fixture, and its profile when it has one. */
export interface Example {
  name: string;
  driver: string;
  /** The fixture's leading comment: what the scenario shows. */
  description: string;
  file: InputFile;
  profile: InputFile | null;
}

export interface DriverFeature {
  description: string;
  default: boolean;
}

/** A built-in driver, with what a profile can switch. */
export interface DriverInfo {
  name: string;
  title: string;
  namespace: string;
  version: string | null;
  /** Features that name a transport: what a profile's `protocols:` lists. */
  protocols: string[];
  features: Record<string, DriverFeature>;
  /** Configurable ports by key, with their defaults. */
  ports: Record<string, number>;
}
"#;

/// The JS exception for an [`ApiError`]: `TypeError` for misuse, an `Error` named
/// `UsageError` or `InternalError` otherwise.
fn throw(e: ApiError) -> JsValue {
    match e {
        ApiError::Type(m) => TypeError::new(&m).into(),
        ApiError::Usage(m) => named_error("UsageError", &m),
        ApiError::Internal(m) => named_error("InternalError", &m),
    }
}

fn named_error(name: &str, message: &str) -> JsValue {
    let e = Error::new(message);
    e.set_name(name);
    e.into()
}

/// A JS value as JSON (`undefined`, functions and symbols become `null`). Throws what
/// `JSON.stringify` throws (cycles, BigInt).
fn to_json(v: &JsValue) -> Result<Value, JsValue> {
    if v.is_undefined() {
        return Ok(Value::Null);
    }
    let Some(text) = JSON::stringify(v)?.as_string() else {
        return Ok(Value::Null);
    };
    serde_json::from_str(&text).map_err(|e| throw(ApiError::Internal(e.to_string())))
}

/// Today (UTC), as the CLI takes it from the system clock, for suppressions that expire.
fn today() -> Option<(i32, u32, u32)> {
    let now = js_sys::Date::new_0();
    Some((
        now.get_utc_full_year() as i32,
        now.get_utc_month() + 1,
        now.get_utc_date(),
    ))
}

fn parse(text: &str) -> Result<JsValue, JsValue> {
    JSON::parse(text)
}

fn string_arg(v: &JsValue, what: &str) -> Result<String, JsValue> {
    v.as_string().ok_or_else(|| {
        throw(ApiError::Type(format!(
            "{what} must be a string, got {}",
            v.js_typeof().as_string().unwrap_or_default()
        )))
    })
}

/// Lints files against the drivers' matrices and returns the report (the CLI's `--format json`).
/// Bad input is reported as located findings (rule PM000); throws only for misuse of the API
/// (`TypeError`) and usage errors (`UsageError`: unknown or undetected driver).
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn lint(
    #[wasm_bindgen(unchecked_param_type = "LintRequest")] request: JsValue,
) -> Result<JsValue, JsValue> {
    let v = to_json(&request)?;
    parse(&api::lint_json(&v, today()).map_err(throw)?)
}

/// A driver's communication matrix as `portmatrix matrix --driver D --format F` prints it
/// (`json` is JSON text too). Throws a `UsageError` for an unknown driver or format.
#[wasm_bindgen(unchecked_return_type = "string")]
pub fn matrix(
    #[wasm_bindgen(unchecked_param_type = "string")] driver: JsValue,
    #[wasm_bindgen(unchecked_param_type = "MatrixFormat")] format: JsValue,
) -> Result<JsValue, JsValue> {
    let driver = string_arg(&driver, "matrix(): driver")?;
    let format = if format.is_undefined() {
        "table".to_string()
    } else {
        string_arg(&format, "matrix(): format")?
    };
    Ok(JsString::from(api::matrix(&driver, &format).map_err(throw)?).into())
}

/// Every rule with its documentation, sorted by id.
#[wasm_bindgen(unchecked_return_type = "Rule[]")]
pub fn rules() -> Result<JsValue, JsValue> {
    parse(&api::rules_json().map_err(throw)?)
}

/// The built-in examples (the fixtures, with their profiles).
#[wasm_bindgen(unchecked_return_type = "Example[]")]
pub fn examples() -> Result<JsValue, JsValue> {
    parse(&api::examples_json())
}

/// The built-in drivers, with their protocols, features and configurable ports.
#[wasm_bindgen(unchecked_return_type = "DriverInfo[]")]
pub fn drivers() -> Result<JsValue, JsValue> {
    parse(&api::drivers_json().map_err(throw)?)
}

/// portmatrix's version (the CLI's `--version`).
#[wasm_bindgen]
pub fn version() -> String {
    portmatrix::version().to_string()
}
