"""Early stopping with eval sets: only the evaluations that carry the selection metric count."""

import logging

from transformers import TrainerControl, TrainerState, TrainingArguments

from stance.models.transformer import _EarlyStopping


def _args(tmp_path):
    return TrainingArguments(output_dir=str(tmp_path), metric_for_best_model="validation_macro_f1",
                             greater_is_better=True, eval_strategy="epoch", save_strategy="epoch",
                             load_best_model_at_end=True, report_to="none", use_cpu=True)


def test_sets_without_the_metric_are_skipped_silently(tmp_path, caplog):
    cb, args, state, control = _EarlyStopping(early_stopping_patience=1), _args(tmp_path), TrainerState(), \
        TrainerControl()
    with caplog.at_level(logging.WARNING):
        cb.on_evaluate(args, state, control, metrics={"eval_realdev_macro_f1": 0.5})
    assert "early stopping required" not in caplog.text and cb.early_stopping_patience_counter == 0

    state.best_metric = 0.9  # the validation metric did not improve: the patience counter moves
    cb.on_evaluate(args, state, control, metrics={"eval_validation_macro_f1": 0.8})
    assert cb.early_stopping_patience_counter == 1 and control.should_training_stop
