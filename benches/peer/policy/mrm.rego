# The risk tiers and 57 controls of the mrm default library (policies/*.mrm), ported to Rego for
# the peer benchmark. Each control keeps its tiers, applicability, prerequisites, assertion and
# evidence files; what mrm reports beyond the status (witnesses, explanations, framework clauses,
# evidence digests) is not ported. The benchmark reads the ported control ids from the status rules
# (`id := "..."`) and builds the matching mrm policy from the shipped files, so both engines
# evaluate the same rules.
#
# Input, one model at a time:
#   input.m      the model's metadata document (model.toml or model.json), dates as "YYYY-MM-DD"
#   input.files  the files of the model's folder, relative to it: {"validation/report.md": true}
# Data:
#   data.as_of_ns  the evaluation date, in nanoseconds since the epoch
#
# Result: data.mrm.result = {"tier": ..., "status": {control id: status}}, with a status for the
# controls of the model's tier only: "pass", "fail", "blocked" (a prerequisite is a gap) or
# "not-applicable" (its `applies` condition is false), decided in mrm's order: applicability,
# prerequisites, assertion, evidence.
#
# mrm's `exists(x)` is "x is defined" here; a missing optional field makes a comparison undefined,
# which fails the assertion as in mrm. `none` is undefined (TOML has no null).

package mrm

m := input.m

result := {"tier": tier, "status": object.union(d1, l2)}

# ---- Tiers (core.mrm): first rule that holds ------------------------------------------------------

tier := "prohibited" if {
	m.eu_ai_act.prohibited == true
} else := "high" if {
	m.eu_ai_act.annex_iii != "not-listed"
	not derogated
} else := "high" if {
	m.eu_ai_act.annex_i == true
} else := "low" if {
	m.model.status == "retired"
} else := "high" if {
	m.impact.financial_exposure >= 10000000
	m.impact.automated_decision == true
} else := "high" if {
	m.impact.financial_exposure >= 50000000
} else := "high" if {
	regulatory_purpose
	m.impact.financial_exposure >= 10000000
} else := "high" if {
	m.risk.inherent == "high"
	m.impact.financial_exposure >= 1000000
} else := "high" if {
	m.impact.materiality == "high"
} else := "medium" if {
	m.impact.financial_exposure >= 1000000
} else := "medium" if {
	regulatory_purpose
} else := "medium" if {
	m.risk.inherent == "high"
} else := "medium" if {
	m.impact.customers_affected >= 10000
} else := "medium" if {
	m.impact.automated_decision == true
	m.impact.customers_affected >= 1000
} else := "medium" if {
	m.impact.materiality == "medium"
} else := "low"

# An Art 6(3) derogation holds unless the system profiles natural persons.
derogated if {
	m.eu_ai_act.derogation
	not m.eu_ai_act.profiling == true
}

regulatory_purpose if {
	some p in m.impact.purposes
	p in {"regulatory-capital", "financial-reporting", "stress-testing", "aml"}
}

medium_high := {"medium", "high"}

# ---- Outcome of one control -----------------------------------------------------------------------

gaps := {"fail", "blocked", "error"}

# The status of a control in the model's tier: `applies` its applicability, `prior` the statuses
# decided so far, `requires` its prerequisites, `holds` its assertion, `evidence` the paths its
# evidence fields hold (null when a field is missing).
#
# (The loops over prerequisites and evidence are helper rules: regorus 0.14's RVM ends an `else`
# chain as undefined when a branch that loops fails, where the interpreter goes on to the next.)
outcome(applies, prior, requires, holds, evidence) := "not-applicable" if {
	not applies
} else := "blocked" if {
	prerequisite_gap(prior, requires)
} else := "fail" if {
	not holds
} else := "fail" if {
	evidence_missing(evidence)
} else := "pass"

prerequisite_gap(prior, requires) if {
	some p in requires
	prior[p] in gaps
}

evidence_missing(evidence) if {
	some e in evidence
	not input.files[e]
}

# The value at a metadata path, null when missing (an evidence field).
field(path) := object.get(m, path, null)

days_since(date) := (data.as_of_ns - time.parse_ns("2006-01-02", date)) / 86400000000000

developer(who) if who in m.roles.developers

# ---- Shared applicability --------------------------------------------------------------------------

default production := false

production if m.model.status == "production"

default in_house := false

in_house if not m.model.vendor

in_house if count(m.model.vendor) == 0

default vendor := false

vendor if count(m.model.vendor) > 0

default affects_people := false

affects_people if m.impact.customers_affected > 0

default automated := false

automated if m.impact.automated_decision == true

default annex := false

annex if m.eu_ai_act.annex_iii != null

# Annex III and not only a deployer: the provider duties apply.
default annex_provider := false

annex_provider if {
	annex
	not m.eu_ai_act.role
}

annex_provider if {
	annex
	m.eu_ai_act.role != "deployer"
}

default material_change := false

material_change if m.change.last_material_change

# ---- Model risk (model-risk.mrm) -------------------------------------------------------------------

l0[id] := s if {
	id := "MR-DES-01"
	s := outcome(true, {}, [], mr_des_01, [])
}

default mr_des_01 := false

mr_des_01 if {
	count(m.model.purpose) > 0
	count(m.model.type) > 0
	count(m.model.intended_use) > 0
}

l0[id] := s if {
	id := "MR-LIM-01"
	s := outcome(true, {}, [], mr_lim_01, [])
}

default mr_lim_01 := false

mr_lim_01 if count(m.model.limitations) > 0

l0[id] := s if {
	id := "MR-PERF-02"
	s := outcome(true, {}, [], mr_perf_02, [])
}

default mr_perf_02 := false

mr_perf_02 if {
	count(m.performance) > 0
	every p in m.performance {
		p.threshold != null
	}
}

l1[id] := s if {
	id := "MR-PERF-01"
	s := outcome(true, l0, ["MR-PERF-02"], mr_perf_01, [])
}

default mr_perf_01 := false

mr_perf_01 if {
	every p in m.performance {
		meets_threshold(p)
	}
}

meets_threshold(p) if {
	p.lower_is_better == true
	p.value <= p.threshold
}

meets_threshold(p) if {
	not p.lower_is_better == true
	p.value >= p.threshold
}

l0[id] := s if {
	id := "MR-STAB-01"
	tier in medium_high
	s := outcome(true, {}, [], mr_stab_01, [])
}

default mr_stab_01 := false

mr_stab_01 if {
	count(m.performance_stability) >= 2
	every a in m.performance_stability {
		every b in m.performance_stability {
			stable(a, b)
		}
	}
}

stable(a, b) if a.metric != b.metric

stable(a, b) if a.period >= b.period

stable(a, b) if abs(a.value - b.value) <= 0.05

l0[id] := s if {
	id := "MR-VAL-01"
	s := outcome(true, {}, [], mr_val_01, [field(["validation", "report"])])
}

default mr_val_01 := false

mr_val_01 if {
	m.validation.report
	m.validation.date
}

l1[id] := s if {
	id := "MR-VAL-02"
	s := outcome(production, l0, ["MR-VAL-01"], mr_val_02, [])
}

default mr_val_02 := false

mr_val_02 if m.validation.outcome in {"approved", "approved-with-findings"}

l1[id] := s if {
	id := "MR-VAL-03"
	tier == "high"
	s := outcome(true, l0, ["MR-VAL-01"], validated_within(365), [])
}

l1[id] := s if {
	id := "MR-VAL-04"
	tier == "medium"
	s := outcome(true, l0, ["MR-VAL-01"], validated_within(730), [])
}

# (Not a default function: regorus 0.14's RVM leaves those undefined.)
validated_within(days) := true if {
	days_since(m.validation.date) <= days
} else := false

l1[id] := s if {
	id := "MR-VAL-05"
	tier in medium_high
	s := outcome(true, l0, ["MR-VAL-01"], mr_val_05, [])
}

default mr_val_05 := false

mr_val_05 if m.validation.open_findings == 0

l1[id] := s if {
	id := "MR-CS-01"
	tier in medium_high
	s := outcome(true, l0, ["MR-VAL-01"], has(["validation", "conceptual_soundness"]), [field(["validation", "conceptual_soundness"])])
}

l1[id] := s if {
	id := "MR-OUT-01"
	tier in medium_high
	s := outcome(true, l0, ["MR-VAL-01"], has(["validation", "outcomes_analysis"]), [field(["validation", "outcomes_analysis"])])
}

l2[id] := s if {
	id := "MR-BT-01"
	tier == "high"
	s := outcome(true, d1, ["MR-OUT-01"], has(["validation", "backtest"]), [field(["validation", "backtest"])])
}

l1[id] := s if {
	id := "MR-BM-01"
	tier == "high"
	s := outcome(true, l0, ["MR-VAL-01"], has(["validation", "benchmark"]), [field(["validation", "benchmark"])])
}

l1[id] := s if {
	id := "MR-EXPL-01"
	tier in medium_high
	s := outcome(true, l0, ["MR-VAL-01"], has(["validation", "explainability"]), [field(["validation", "explainability"])])
}

# exists(path)
has(path) := field(path) != null

# ---- Data risk (data-risk.mrm) ---------------------------------------------------------------------

l0[id] := s if {
	id := "DR-PROV-01"
	s := outcome(true, {}, [], has(["data", "provenance"]), [field(["data", "provenance"])])
}

l0[id] := s if {
	id := "DR-QUAL-01"
	tier in medium_high
	s := outcome(true, {}, [], dr_qual_01, [field(["data", "quality_report"])])
}

default dr_qual_01 := false

dr_qual_01 if {
	m.data.quality_report
	m.data.quality_score >= 0.95
}

l0[id] := s if {
	id := "DR-QUAL-02"
	tier in medium_high
	s := outcome(true, {}, [], dr_qual_02, [])
}

default dr_qual_02 := false

dr_qual_02 if m.data.missing_rate <= 0.10

l0[id] := s if {
	id := "DR-WIN-01"
	s := outcome(in_house, {}, [], dr_win_01, [])
}

default dr_win_01 := false

dr_win_01 if m.data.training_start < m.data.training_end

l1[id] := s if {
	id := "DR-LEAK-01"
	s := outcome(in_house, l0, ["DR-WIN-01"], dr_leak_01, [])
}

default dr_leak_01 := false

dr_leak_01 if m.data.label_date_max <= m.data.training_end

l0[id] := s if {
	id := "DR-PROT-01"
	tier in medium_high
	s := outcome(affects_people, {}, [], dr_prot_01, [])
}

default dr_prot_01 := false

dr_prot_01 if count(m.data.protected_attributes) > 0

l1[id] := s if {
	id := "DR-FAIR-01"
	tier in medium_high
	s := outcome(affects_people, l0, ["DR-PROT-01"], dr_fair_01, [])
}

default dr_fair_01 := false

dr_fair_01 if {
	count(m.fairness) > 0
	every g in m.fairness {
		g.disparate_impact >= 0.8
	}
}

l1[id] := s if {
	id := "DR-FAIR-02"
	tier in medium_high
	s := outcome(affects_people, l0, ["DR-PROT-01"], dr_fair_02, [])
}

default dr_fair_02 := false

dr_fair_02 if {
	count(m.fairness) > 0
	every g in m.fairness {
		g.demographic_parity_difference <= 0.10
	}
}

l1[id] := s if {
	id := "DR-FAIR-03"
	tier == "high"
	s := outcome(affects_people, l0, ["DR-PROT-01"], dr_fair_03, [])
}

default dr_fair_03 := false

dr_fair_03 if {
	count(m.fairness) > 0
	every g in m.fairness {
		g.equalized_odds_difference <= 0.10
	}
}

l1[id] := s if {
	id := "DR-FAIR-04"
	tier in medium_high
	s := outcome(affects_people, l0, ["DR-PROT-01"], dr_fair_04, [])
}

default dr_fair_04 := false

dr_fair_04 if {
	every a in m.data.protected_attributes {
		some g in m.fairness
		g.attribute == a
	}
}

l1[id] := s if {
	id := "DR-FAIR-05"
	tier in medium_high
	s := outcome(fair_05_applies, l0, ["DR-PROT-01"], dr_fair_05, [])
}

default fair_05_applies := false

fair_05_applies if {
	affects_people
	production
}

default dr_fair_05 := false

dr_fair_05 if m.monitoring.fairness_di_min >= 0.8

l0[id] := s if {
	id := "DR-PRIV-01"
	s := outcome(personal_data, {}, [], has(["data", "dpia"]), [field(["data", "dpia"])])
}

default personal_data := false

personal_data if m.data.personal_data == true

# ---- Governance (governance.mrm) -------------------------------------------------------------------

l0[id] := s if {
	id := "GV-OWN-01"
	s := outcome(true, {}, [], gv_own_01, [])
}

default gv_own_01 := false

gv_own_01 if count(m.roles.owner) > 0

l0[id] := s if {
	id := "GV-DEV-01"
	s := outcome(true, {}, [], gv_dev_01, [])
}

default gv_dev_01 := false

gv_dev_01 if count(m.roles.developers) > 0

l1[id] := s if {
	id := "GV-VAL-01"
	s := outcome(true, l0, ["GV-OWN-01"], gv_val_01, [])
}

default gv_val_01 := false

gv_val_01 if {
	count(m.roles.validator) > 0
	m.roles.validator != m.roles.owner
	not developer(m.roles.validator)
}

l2[id] := s if {
	id := "GV-VAL-02"
	tier in medium_high
	s := outcome(true, d1, ["MR-VAL-01", "GV-VAL-01"], gv_val_02, [])
}

default gv_val_02 := false

gv_val_02 if {
	m.validation.validator != m.roles.owner
	not developer(m.validation.validator)
	not m.validation.independent == false
}

l0[id] := s if {
	id := "GV-INV-01"
	s := outcome(true, {}, [], gv_inv_01, [])
}

default gv_inv_01 := false

gv_inv_01 if {
	count(m.model.inventory_id) > 0
	m.model.registered
}

l0[id] := s if {
	id := "GV-DOC-01"
	s := outcome(true, {}, [], has(["model", "documentation"]), [field(["model", "documentation"])])
}

l1[id] := s if {
	id := "GV-DOC-02"
	tier in medium_high
	s := outcome(material_change, l0, ["GV-DOC-01"], gv_doc_02, [])
}

default gv_doc_02 := false

gv_doc_02 if m.model.documentation_updated >= m.change.last_material_change

l0[id] := s if {
	id := "GV-MAT-01"
	s := outcome(true, {}, [], gv_mat_01, [])
}

default gv_mat_01 := false

gv_mat_01 if m.impact.materiality in {"low", "medium", "high"}

l0[id] := s if {
	id := "GV-TRANS-01"
	s := outcome(automated, {}, [], has(["notices", "automated_decision"]), [field(["notices", "automated_decision"])])
}

l0[id] := s if {
	id := "GV-VEND-01"
	s := outcome(vendor, {}, [], has(["vendor", "due_diligence"]), [field(["vendor", "due_diligence"])])
}

l0[id] := s if {
	id := "GV-VEND-02"
	s := outcome(vendor, {}, [], gv_vend_02, [])
}

default gv_vend_02 := false

gv_vend_02 if count(m.vendor.documentation) > 0

l1[id] := s if {
	id := "GV-CHG-02"
	tier in medium_high
	s := outcome(material_change, l0, ["MR-VAL-01"], gv_chg_02, [])
}

default gv_chg_02 := false

gv_chg_02 if m.validation.date >= m.change.last_material_change

# ---- Operational risk (operational-risk.mrm) -------------------------------------------------------

l0[id] := s if {
	id := "OR-MON-01"
	s := outcome(true, {}, [], has(["monitoring", "plan"]), [field(["monitoring", "plan"])])
}

l1[id] := s if {
	id := "OR-MON-02"
	tier in medium_high
	s := outcome(production, l0, ["OR-MON-01"], or_mon_02, [])
}

default or_mon_02 := false

or_mon_02 if days_since(m.monitoring.last_review) <= m.monitoring.frequency_days

l0[id] := s if {
	id := "OR-DRIFT-02"
	tier in medium_high
	s := outcome(production, {}, [], or_drift_02, [])
}

default or_drift_02 := false

or_drift_02 if m.monitoring.prediction_drift < 0.25

l0[id] := s if {
	id := "OR-DRIFT-03"
	tier == "high"
	s := outcome(production, {}, [], or_drift_03, [])
}

default or_drift_03 := false

or_drift_03 if m.monitoring.feature_drift_max < 0.25

l0[id] := s if {
	id := "OR-DRIFT-04"
	tier in medium_high
	s := outcome(production, {}, [], or_drift_04, [])
}

default or_drift_04 := false

or_drift_04 if m.monitoring.flag_rate_change < 1.0

l0[id] := s if {
	id := "OR-SEC-03"
	tier in medium_high
	s := outcome(production, {}, [], or_sec_03, [])
}

default or_sec_03 := false

or_sec_03 if days_since(m.security.access_review) <= 180

l0[id] := s if {
	id := "OR-FALL-01"
	tier in medium_high
	s := outcome(true, {}, [], fallback, [])
}

default fallback := false

fallback if count(m.monitoring.fallback) > 0

l0[id] := s if {
	id := "OR-INC-02"
	tier in medium_high
	s := outcome(production, {}, [], or_inc_02, [])
}

default or_inc_02 := false

or_inc_02 if not m.incidents.open

or_inc_02 if m.incidents.open == 0

l0[id] := s if {
	id := "OR-LOG-01"
	tier in medium_high
	s := outcome(production, {}, [], logging, [])
}

default logging := false

logging if m.monitoring.logging == true

l0[id] := s if {
	id := "OR-APPEAL-01"
	s := outcome(automated, {}, [], or_appeal_01, [])
}

default or_appeal_01 := false

or_appeal_01 if count(m.monitoring.feedback_channel) > 0

# ---- EU AI Act (eu-ai-act.mrm), the duties in force at the evaluation date ---------------------------

l0[id] := s if {
	id := "AI-ART5-01"
	s := outcome(true, {}, [], ai_art5_01, [])
}

default ai_art5_01 := false

ai_art5_01 if m.eu_ai_act.prohibited == false

l0[id] := s if {
	id := "AI-ART43-01"
	tier == "high"
	s := outcome(annex_provider, {}, [], has(["eu_ai_act", "conformity_assessment"]), [field(["eu_ai_act", "conformity_assessment"])])
}

l1[id] := s if {
	id := "AI-ART47-01"
	tier == "high"
	s := outcome(annex_provider, l0, ["AI-ART43-01"], has(["eu_ai_act", "declaration_of_conformity"]), [field(["eu_ai_act", "declaration_of_conformity"])])
}

l0[id] := s if {
	id := "AI-ART49-01"
	tier == "high"
	s := outcome(annex_provider, {}, [], ai_art49_01, [])
}

default ai_art49_01 := false

ai_art49_01 if count(m.eu_ai_act.registration_id) > 0

l0[id] := s if {
	id := "AI-ART72-01"
	tier == "high"
	s := outcome(annex_provider, {}, [], ai_art72_01, [field(["monitoring", "plan"])])
}

default ai_art72_01 := false

ai_art72_01 if {
	m.monitoring.plan
	m.monitoring.last_review
}

l0[id] := s if {
	id := "AI-ART73-01"
	tier == "high"
	s := outcome(annex, {}, [], ai_art73_01, [field(["incidents", "process"])])
}

default ai_art73_01 := false

ai_art73_01 if {
	m.incidents.process
	not m.incidents.last_serious
}

ai_art73_01 if {
	m.incidents.process
	m.incidents.reported == true
}

l0[id] := s if {
	id := "AI-ART50-01"
	s := outcome(interacts, {}, [], has(["notices", "ai_interaction"]), [field(["notices", "ai_interaction"])])
}

default interacts := false

interacts if m.eu_ai_act.interacts_with_persons == true

l0[id] := s if {
	id := "AI-ART50-02"
	s := outcome(generates, {}, [], ai_art50_02, [])
}

default generates := false

generates if m.eu_ai_act.generates_content == true

default ai_art50_02 := false

ai_art50_02 if m.eu_ai_act.content_marked == true

# ---- Prerequisite levels ---------------------------------------------------------------------------
# Rego rules may not depend on themselves, so statuses are decided by depth in the prerequisite
# graph: l0 has no prerequisites, l1 depends on l0, l2 on l0 and l1.

d1 := object.union(l0, l1)
