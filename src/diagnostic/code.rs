//! The registry of diagnostic codes.
//!
//! Codes are stable, kebab-case and namespaced by the stage that emits them
//! (`syntax/…`, `check/…`, `catalog/…`, `model/…`, `eval/…`, `waiver/…`, `config/…`). Each has a
//! default severity, a one-line summary (SARIF `shortDescription`) and long documentation with an
//! example and a fix (`mrm explain CODE`, SARIF `help`). Adding a code is one line in the table.

use serde::{Serialize, Serializer};

use super::Severity;

/// What `mrm explain` and SARIF know about a code.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// Long documentation: what it means, an example, how to fix it.
    pub docs: &'static str,
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $summary:literal, $docs:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            pub fn info(self) -> CodeInfo {
                match self {
                    $( Code::$variant => CodeInfo {
                        name: $name,
                        severity: Severity::$sev,
                        summary: $summary,
                        docs: $docs,
                    }, )*
                }
            }
        }
    };
}

impl Code {
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// Whether this code, on a model, blocks the run whatever the model's controls say: its
    /// metadata could not be read (so nothing about it was evaluated and nothing can pass), or
    /// its id is not unique (so no waiver can be bound to it). The one place this is decided;
    /// [`crate::eval::ModelOutcome`] counts these findings with its blocking controls.
    pub fn blocks_model(self) -> bool {
        matches!(
            self,
            Code::InvalidUtf8
                | Code::FileTooLarge
                | Code::Unreadable
                | Code::NotAFile
                | Code::PathNotUtf8
                | Code::ModelParse
                | Code::ModelEmpty
                | Code::DuplicateModel
        )
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    // ---- reading files ---------------------------------------------------------------------
    InvalidUtf8 = "io/invalid-utf8", Error,
        "a file is not valid UTF-8",
        "mrm reads policies, catalogs, configuration and model metadata as UTF-8 text. A file that \
         holds other bytes cannot be read.\n\nExample: a `model.toml` saved as UTF-16 by a Windows \
         editor.\n\nFix: re-save the file as UTF-8 (without a byte-order mark is best).";
    FileTooLarge = "io/file-too-large", Error,
        "a file is larger than the configured limit",
        "mrm refuses files larger than its limit (1 MiB for policies, 4 MiB for model metadata, \
         adapter files, `mrm.toml` and `waivers.toml`) so that a stray data dump cannot exhaust \
         memory. The size is checked before the file is read. A model whose metadata is too large \
         is not evaluated and blocks the run.\n\nExample: a model folder whose `model.json` is a \
         300 MB export.\n\nFix: keep large artefacts out of metadata files and reference them as \
         evidence.";
    Unreadable = "io/unreadable", Error,
        "a file could not be read",
        "A file that mrm needs exists but could not be read (permissions, a broken link, a link \
         leading outside the repository).\n\nFix: check the path and its permissions.";
    NotAFile = "io/not-a-file", Error,
        "a FIFO, socket, device or directory stands where a file is expected",
        "mrm only reads regular files. A named pipe (FIFO), socket or device in a repository \
         would make a reader wait or read without end, so it is refused without being opened; a \
         model whose metadata is refused is not evaluated and blocks the run.\n\nExample: \
         `mkfifo models/credit/model.toml`.\n\nFix: replace it with a regular file.";
    PathNotUtf8 = "io/path-not-utf8", Error,
        "a file or folder name is not valid UTF-8",
        "Model ids, evidence paths and reports are UTF-8 text, so a file whose name holds other \
         bytes cannot be named by any of them and is not read. A model folder with such a name \
         is reported and blocks the run.\n\nExample: a folder named in Latin-1, `caf\\xe9`.\n\n\
         Fix: rename the file or folder with a UTF-8 name.";

    // ---- syntax ----------------------------------------------------------------------------
    UnexpectedToken = "syntax/unexpected-token", Error,
        "the policy text does not follow the grammar",
        "The parser met something it did not expect at this point of a policy file. The message \
         lists what would have been valid.\n\nExample:\n\n    control DR-FAIR-01 \"Fairness\" \
         {\n      severity critical\n      assert all g in fairness g.disparate_impact >= 0.8\n    \
         }\n\nHere the quantifier lacks its `:`.\n\nFix: insert or remove the token the message \
         names; `mrm fmt` shows the canonical layout once the file parses.";
    InvalidEscape = "syntax/invalid-escape", Error,
        "a string holds an unknown escape sequence",
        "Strings accept the escapes `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\{`, `\\}` and \
         `\\u{XXXX}` (a Unicode scalar value: no surrogates, at most `10FFFF`).\n\nExample: \
         `remediate \"Store it under C:\\data\"`, where `\\d` is no escape.\n\nFix: double the \
         backslash (`\\\\`).";
    InvalidNumber = "syntax/invalid-number", Error,
        "a number literal cannot be represented",
        "A number literal is too large or malformed.\n\nExample: `1e999`.\n\nFix: write a finite \
         number.";
    InvalidDate = "syntax/invalid-date", Error,
        "a date literal is not a real calendar date",
        "Dates are written `YYYY-MM-DD` and must exist in the Gregorian calendar.\n\nExample: \
         `2026-02-30`.\n\nFix: correct the day or month.";
    TooDeep = "syntax/too-deep", Error,
        "expressions are nested more deeply than the limit",
        "mrm limits how deeply expressions may nest so that every policy is parsed and evaluated \
         with bounded resources. The limit is 64 levels; each bracket, call, quantifier, `not` and \
         unary minus counts one, and so does each operator of a chain (`a or b or c` is two deep).\n\n\
         Example: a generated policy with 100 nested parentheses, or 70 comparisons joined by \
         `or`.\n\nFix: flatten the expression; split it into several controls, write \
         `x in [\"a\", \"b\"]` instead of a chain of `==` and `or`, or use `all`/`any` over a list.";
    DuplicateClause = "syntax/duplicate-clause", Error,
        "a block states the same clause twice",
        "Each clause of a control or KRI (`severity`, `assert`, `explain`, …) may appear once.\n\n\
         Example: a control with two `assert` lines.\n\nFix: combine the two with `and`, or delete \
         one.";
    MissingClause = "syntax/missing-clause", Error,
        "a block lacks a clause it needs",
        "A control needs `severity` and `assert`; a KRI needs `value` and at least one of `yellow` \
         and `red`; a test needs `model` or `metadata`.\n\nExample: a control with no `assert`.\n\n\
         Fix: add the missing clause.";

    // ---- checking --------------------------------------------------------------------------
    DuplicateControl = "check/duplicate-control", Error,
        "two controls share an id",
        "Control ids identify findings in reports, waivers and evidence packs, so they must be \
         unique across every policy file in use.\n\nFix: rename one of the controls.";
    DuplicateKri = "check/duplicate-kri", Error,
        "two KRIs share a name",
        "KRI names must be unique across the policy set.\n\nFix: rename one of them.";
    DuplicateTest = "check/duplicate-test", Error,
        "two tests share a name",
        "Test names identify failures in `mrm test`.\n\nFix: rename one of them.";
    DuplicateSchemaField = "check/duplicate-schema-field", Error,
        "a schema declares the same field twice, with different types",
        "A metadata path may be declared in several files only with the same type.\n\nFix: make the \
         declarations agree or remove one.";
    DuplicateTiers = "check/duplicate-tiers", Error,
        "more than one `tiers` block",
        "The tier rules are one ordered list: first match wins. Two blocks would make the order \
         ambiguous.\n\nFix: merge them into one `tiers` block.";
    NoTiers = "check/no-tiers", Error,
        "the policy set has no `tiers` block",
        "Every model must get exactly one tier, so the policy set needs a `tiers` block ending in \
         `otherwise`.\n\nFix: add `tiers { low otherwise }` or a real classification.";
    MissingOtherwise = "check/missing-otherwise", Error,
        "the tier rules do not end with `otherwise`",
        "Without a final `otherwise` rule, a model that matches no rule would have no tier.\n\n\
         Example:\n\n    tiers {\n      high when impact.financial_exposure >= 10_000_000\n    }\n\n\
         Fix: add a last rule such as `low otherwise`.";
    UnreachableTier = "check/unreachable-tier", Error,
        "a tier rule follows `otherwise` and can never match",
        "Rules are tried in order and `otherwise` always matches, so later rules are dead.\n\nFix: \
         move `otherwise` to the end.";
    UnknownTier = "check/unknown-tier", Error,
        "a control, test or waiver names a tier no rule assigns",
        "`tiers` in a control must name tiers assigned by the `tiers` block.\n\nExample: `tiers \
         hgih`.\n\nFix: correct the name (the help line suggests the closest one).";
    UnknownControl = "check/unknown-control", Error,
        "a reference names a control that does not exist",
        "`requires`, test expectations and waivers refer to controls by id.\n\nExample: `requires \
         DR-PROV-1` when the control is `DR-PROV-01`.\n\nFix: correct the id.";
    UnknownKri = "check/unknown-kri", Error,
        "a test names a KRI that does not exist",
        "Fix: correct the KRI name.";
    Cycle = "check/cycle", Error,
        "controls require each other in a cycle",
        "`requires` edges must form a directed acyclic graph: a control cannot be a prerequisite \
         of itself, directly or through others, or no evaluation order exists.\n\nExample: A \
         requires B, B requires A.\n\nFix: remove one edge of the cycle; every edge is labelled in \
         the diagnostic.";
    RequiresOutsideTier = "check/requires-outside-tier", Warning,
        "a prerequisite does not apply to every tier its dependent applies to",
        "In a tier where the prerequisite is not applicable the edge is ignored, which is rarely \
         what the author meant.\n\nFix: widen the prerequisite's `tiers` or narrow the dependent's.";
    UnknownFramework = "check/unknown-framework", Error,
        "`maps` names a framework with no catalog",
        "Framework ids are `sr-11-7`, `sr-26-2`, `eu-ai-act`, `nist-ai-rmf` and `iso-42001`, plus \
         any catalog added under `frameworks/`.\n\nFix: use one of the ids `mrm frameworks` lists.";
    UnknownClause = "check/unknown-clause", Error,
        "`maps` names a clause the framework catalog does not contain",
        "Each mapping must name a clause id of the framework's catalog, written without a \
         framework prefix (`Art 10(2)(f)`, `MEASURE 2.11`, `A.7.4`, `V.1`).\n\nFix: look the id up \
         with `mrm frameworks show ID`.";
    UnknownPath = "check/unknown-path", Error,
        "an expression reads metadata the schema does not declare",
        "Every metadata path an expression reads must be declared in a `schema` block, so that \
         model files can be checked and typos caught before any model is evaluated.\n\nExample: \
         `impact.financial_exposre >= 1`.\n\nFix: correct the path or declare it in `schema`.";
    TypeMismatch = "check/type-mismatch", Error,
        "an operator or function is applied to values of the wrong type",
        "Comparisons need operands of the same type (numbers with numbers, dates with dates, \
         strings with strings); `and`/`or`/`not` need booleans; arithmetic needs numbers (or dates \
         and durations).\n\nExample: `roles.owner >= 3`.\n\nFix: compare like with like.";
    NotAList = "check/not-a-list", Error,
        "a quantifier or `in` ranges over something that is not a list",
        "`all x in xs:`, `any x in xs:` and `count(x in xs: …)` need a list.\n\nExample: `all g \
         in model.id: …`.\n\nFix: quantify over a list field declared as `list<…>`.";
    UnknownFunction = "check/unknown-function", Error,
        "a call names a function that does not exist",
        "Functions come from one builtin library (`len`, `exists`, `days_since`, `matches`, …).\n\n\
         Fix: correct the name; `mrm explain check/unknown-function` lists the builtins.";
    WrongArity = "check/wrong-arity", Error,
        "a function is called with the wrong number of arguments",
        "Fix: pass the number of arguments the function takes.";
    InvalidRegex = "check/invalid-regex", Error,
        "a `matches` pattern is not a valid regular expression",
        "Fix: correct the pattern.";
    UnknownName = "check/unknown-name", Error,
        "a keyword-valued clause has an unknown value",
        "`pillar` is one of model, data, operational, governance; `stage` one of development, \
         validation, deployment, monitoring, change; `severity` one of critical, high, medium, low, \
         info; test statuses are pass, fail, blocked, waived, not-applicable, error, upcoming.\n\n\
         Fix: use one of the listed values.";
    InvalidPlaceholder = "check/invalid-placeholder", Error,
        "a `{…}` placeholder in an `explain` text is not a valid expression",
        "Placeholders are expressions evaluated where the assertion failed, e.g. `{g.group}` inside \
         `all g in fairness: …`.\n\nFix: correct the expression, or escape a literal brace as \
         `\\{`.";
    InvalidEvidencePath = "check/invalid-evidence-path", Error,
        "an evidence path leaves the model folder",
        "Evidence paths are relative to the model folder and must stay inside the repository: no \
         `..` components and no absolute paths.\n\nFix: reference a file inside the repository.";
    MissingFixture = "check/missing-fixture", Error,
        "a test names a model folder that does not exist",
        "`model \"path\"` in a test is resolved relative to the policy file.\n\nFix: correct the \
         path or add the fixture.";
    OutOfScopeUnknown = "check/scope-unknown-clause", Error,
        "a `scope` block excludes a clause the catalog does not contain",
        "Fix: correct the clause id.";
    InvalidParam = "check/invalid-param", Error,
        "a `param` declaration is not usable",
        "A parameter names a literal value the rules read by name (`param high_exposure = \
         50_000_000`); a firm overrides it in `mrm.toml` under `[params]`. Its value must be a \
         literal, its name must be declared once and must not be a metadata root, `tier` or \
         `value`.\n\nFix: write a literal, or rename the parameter.";
    MappedAndExcluded = "check/mapped-and-excluded", Error,
        "a clause is both mapped by a control and declared out of scope",
        "A clause is either covered by a control or out of scope, never both: the coverage report \
         would count it twice and an auditor could not tell which statement holds. An exclusion \
         also covers every sub-clause, so mapping `9.2.1` while excluding `9.2` is the same \
         contradiction.\n\nExample: `maps iso-42001 \"6.3\"` in a control and `exclude \"6.3\"` \
         in a `scope` block.\n\nFix: remove the mapping or the exclusion.";
    UnknownAnnexIiiPoint = "check/unknown-annex-iii-point", Error,
        "a policy compares the Annex III classification with a point that does not exist",
        "`eu_ai_act.annex_iii` holds a point of Annex III of the EU AI Act (`1(a)` to `8(b)`; \
         point 2 has no sub-points) or `not-listed`. A policy that compares it with anything else \
         can never match a correctly classified system.\n\nExample: \
         `eu_ai_act.annex_iii in [\"2(a)\", \"5(h)\"]`.\n\nFix: use the points as the catalog \
         lists them (`mrm frameworks show eu-ai-act \"Annex III\"`).";

    // ---- catalogs --------------------------------------------------------------------------
    CatalogInvalid = "catalog/invalid", Error,
        "a framework catalog is malformed",
        "A file under `frameworks/` does not have the catalog shape (`[framework]` and \
         `[[clause]]` tables with the required keys).\n\nFix: see `frameworks/README.md`.";
    CatalogDuplicate = "catalog/duplicate-clause", Error,
        "a catalog declares a clause id twice",
        "Fix: make clause ids unique within each framework.";
    CatalogUnknownParent = "catalog/unknown-parent", Error,
        "a clause names a parent the catalog does not contain",
        "Fix: correct the `parent` key.";
    CatalogApplicability = "catalog/invalid-applicability", Error,
        "a catalog's applicability data uses a value the engine does not know",
        "Clauses say whom they bind (`binds`), which systems they reach (`reaches`), from when \
         (`applies_from`, `from_annex_iii`, `from_annex_i`), under which transitional rules and at \
         which point of a system's life (`lifecycle`). An unknown value would decide nothing, so \
         the catalog is refused.\n\nFix: use the values listed in `frameworks/README.md`.";

    // ---- model metadata --------------------------------------------------------------------
    ModelParse = "model/parse-error", Error,
        "a model metadata file cannot be parsed",
        "The model's `model.toml` (or `model.json`, `model.yaml`) is not valid in its format. The \
         model is reported as an error and skipped; other models are still evaluated.\n\nFix: \
         correct the syntax at the location shown.";
    ModelEmpty = "model/empty", Error,
        "a model metadata file is empty",
        "Fix: fill in at least the `[model]` table with `id` and `name`.";
    MissingField = "model/missing-field", Error,
        "model metadata lacks a field the schema requires",
        "The policy `schema` declares this path without `?`, so every model must provide it.\n\n\
         Fix: add the field to the model's metadata, or mark it optional in the schema.";
    WrongType = "model/wrong-type", Error,
        "a metadata field has a different type from the schema",
        "Example: `financial_exposure = \"250m\"` where the schema says `number`.\n\nFix: write the \
         value in the declared type.";
    DuplicateModel = "model/duplicate-id", Error,
        "two model folders declare the same model id",
        "Model ids key waivers, reports and packs, so a shared id makes it ambiguous which model a \
         waiver excuses or a finding concerns. Every model with the id is a blocking finding, and \
         no waiver applies to any of them until the ids are unique.\n\nFix: give each model a \
         unique `model.id`.";
    NoModels = "model/none-found", Error,
        "the repository holds no model",
        "No folder holds a `model.toml` (or `model.json`, `model.yaml`, an MLflow `MLmodel`, a \
         `model_card.json` or a Hugging Face model card). A check that finds nothing to check \
         would pass whatever the repository holds, so it is a configuration error (exit 2).\n\n\
         Fix: point mrm at the model repository, or add a model with `mrm init`.";
    InvalidLegalFact = "model/invalid-legal-fact", Warning,
        "a fact the law's application depends on is invalid",
        "The applicability rules read the model's EU AI Act screening (`eu_ai_act.annex_iii`, \
         `eu_ai_act.roles`, `eu_ai_act.placed_on_market`, ...). A value they cannot use, such as an \
         Annex III point that does not exist, leaves every decision that depends on it undecided: \
         the controls concerned report `error`.\n\nExample: `annex_iii = \"5(h)\"`.\n\nFix: \
         record a valid value (see `policies/schema.mrm`).";
    ShadowedMetadata = "model/shadowed-metadata", Warning,
        "a model folder has more than one metadata file",
        "When `model.toml` exists, `model.json` and `model.yaml` in the same folder are ignored.\n\n\
         Fix: keep one metadata file per model.";
    PathEscape = "model/path-escape", Error,
        "an evidence path points outside the repository",
        "Evidence must live inside the repository so that packs are self-contained and nothing \
         outside is ever read: absolute paths, `..` components and symbolic links leading outside \
         are refused.\n\nFix: move the evidence file into the model folder.";

    // ---- evaluation ------------------------------------------------------------------------
    EvalMissing = "eval/missing-value", Error,
        "an assertion reads a value the model does not have",
        "The control reads an optional field that this model lacks, so the control's status is \
         `error`.\n\nFix: add the value to the model's metadata, or guard the assertion with \
         `exists(path) and …`.";
    EvalType = "eval/type-error", Error,
        "a value has the wrong type at evaluation time",
        "Fix: correct the metadata value's type.";
    EvalArithmetic = "eval/arithmetic", Error,
        "an arithmetic operation has no finite result",
        "Division by zero, a metric over an empty group, or an overflow. mrm never reports NaN or \
         infinity as a result.\n\nFix: check the counts recorded in the metadata.";
    TierRuleError = "eval/tier-rule-error", Warning,
        "a tier rule could not be evaluated for a model",
        "The rule read a value the model lacks or had the wrong type. To fail safe, the model is \
         given the tier of that (stricter) rule.\n\nFix: provide the metadata the rule reads.";

    // ---- waivers ---------------------------------------------------------------------------
    WaiverInvalidFile = "waiver/invalid-file", Error,
        "`waivers.toml` is malformed",
        "Each `[[waiver]]` needs `model`, `control`, `justification`, `approver`, `ticket` and \
         `expires` (a date).\n\nFix: correct the file at the location shown.";
    WaiverExpired = "waiver/expired", Warning,
        "a waiver has expired and no longer applies",
        "Fix: remediate the control, or renew the waiver with a new approval.";
    WaiverUnused = "waiver/unused", Warning,
        "a waiver excuses nothing",
        "The waived control passes, does not apply, or the model or control does not exist.\n\n\
         Fix: delete the waiver.";
    WaiverSelfApproved = "waiver/self-approved", Error,
        "a waiver is approved by the model's owner or developer",
        "Segregation of duties: the approver must not be the model's owner or one of its \
         developers. The waiver does not apply.\n\nFix: have an independent approver sign off.";
    WaiverAmbiguous = "waiver/ambiguous-model", Error,
        "a waiver names a model id that several models share",
        "A waiver is bound to one model by its id. When two model folders declare the same id, \
         the waiver could excuse either, so it applies to neither until the ids are unique.\n\n\
         Fix: give each model a unique `model.id`, then name the one the waiver is for.";
    WaiverUnknown = "waiver/unknown-target", Warning,
        "a waiver names a model or control that does not exist",
        "Fix: correct the model id or control id.";

    // ---- configuration ---------------------------------------------------------------------
    ConfigInvalid = "config/invalid", Error,
        "`mrm.toml` is malformed",
        "Fix: correct the file at the location shown; `mrm init` writes a commented example.";
    PathOutside = "config/path-outside-repository", Error,
        "a policy path in `mrm.toml` leads outside the repository",
        "`mrm.toml` is part of the repository under review, so the policy paths it names must stay \
         inside it: absolute paths, `..` components and links leading outside are refused. Only \
         `--policy` on the command line may name policies elsewhere.\n\nExample: `paths = \
         [\"/etc/mrm\"]`.\n\nFix: commit the policies to the repository and name them relative to \
         its root, or pass `--policy PATH`.";
    FirmOwnerMissing = "config/firm-owner-missing", Warning,
        "a firm-level duty has no named owner",
        "The policies declare some duties evidenced at firm level (`firm \"Art 4\" owner \
         \"ai-governance\" because …`): the firm's records, not a model's, show they are met. Each \
         owner role must name who keeps that evidence, so an auditor knows whom to ask.\n\n\
         Fix: add the role under `[roles.firm_level]` in `mrm.toml`, e.g. \
         `ai-governance = \"ai.governance@acme.example\"`.";
    PolicySourceMissing = "config/policy-source-missing", Error,
        "a configured policy source does not exist",
        "Fix: correct the path in `mrm.toml` or `--policy`.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = BTreeSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "duplicate code {name}");
            let (ns, rest) = name.split_once('/').expect("namespaced");
            for part in [ns, rest] {
                assert!(
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                    "{name} is not kebab-case"
                );
            }
            assert!(
                !code.info().summary.ends_with('.'),
                "{name}: summary ends with a period"
            );
            assert_eq!(Code::from_name(name), Some(*code));
        }
    }
}
