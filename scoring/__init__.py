"""tierbot's scoring core: tier models as files, scores with reasons, playbooks, qualification.

Pure by design: no database, network, chat library or templating. It takes facts and a
compiled model and returns results with reasons; callers do all reading and writing.
"""

from scoring.bulk import BulkScores, encode_choices, encode_tiers, score_columns
from scoring.compile import load_model
from scoring.engine import AdjustmentResult, CriterionResult, Hysteresis, ScoreResult, score
from scoring.errors import FactsError, ModelError, Problem, QualificationError, ScoringError
from scoring.impact import Direction, ImpactReport, TierMove, columns_from_rows, model_impact
from scoring.model import CompiledModel, Facts, FactValue, FieldDef, Playbook, Question, Tier
from scoring.qualify import Qualification, parse_answer, qualify
from scoring.text import LocalText
from scoring.values import facts_to_json, parse_number, parse_value, validate_facts
from scoring.whatif import FactChange, WhatItTakes, what_it_takes

__all__ = [
    "AdjustmentResult",
    "BulkScores",
    "CompiledModel",
    "CriterionResult",
    "Direction",
    "FactChange",
    "FactValue",
    "Facts",
    "FactsError",
    "FieldDef",
    "Hysteresis",
    "ImpactReport",
    "LocalText",
    "ModelError",
    "Playbook",
    "Problem",
    "Qualification",
    "QualificationError",
    "Question",
    "ScoreResult",
    "ScoringError",
    "Tier",
    "TierMove",
    "WhatItTakes",
    "columns_from_rows",
    "encode_choices",
    "encode_tiers",
    "facts_to_json",
    "load_model",
    "model_impact",
    "parse_answer",
    "parse_number",
    "parse_value",
    "qualify",
    "score",
    "score_columns",
    "validate_facts",
    "what_it_takes",
]
