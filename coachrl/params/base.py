"""Parameter dataclasses shared by every agent and run: network, optimiser, env, schedule, run.

Defaults follow Coach's presets unless a docstring says otherwise. Agent-specific parameters
subclass ``AlgorithmParams``/``AgentParams`` in the agent's own file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import ClassVar

from coachrl.core.schedules import Schedule
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params.check import FieldError, choice, in_range, non_negative, positive


# Options with a fixed set of values. StrEnums: a member equals its text, so presets may give
# either, ``--set`` takes the text, and config.json stores the text.
class Activation(StrEnum):
    """Hidden-layer nonlinearity."""

    TANH = "tanh"
    RELU = "relu"
    ELU = "elu"
    GELU = "gelu"


class MiddlewareKind(StrEnum):
    """What sits between the embedder and the heads."""

    FC = "fc"  # fully connected layers (hidden_sizes)
    LSTM = "lstm"  # hidden_sizes, an LSTM of lstm_size cells, post_lstm_sizes: recurrent


class ImageChannels(StrEnum):
    """Where an image observation keeps its channels."""

    AUTO = "auto"  # detected from the shape
    FIRST = "first"  # [C, H, W]
    LAST = "last"  # [H, W, C]


class MemoryKind(StrEnum):
    """How replay stores and samples: transitions uniformly, by priority (Schaul et al. 2016),
    or whole episodes (hindsight replay relabels them)."""

    UNIFORM = "uniform"
    PRIORITIZED = "prioritized"
    EPISODIC = "episodic"


class ValidationMetric(StrEnum):
    """What a preset's threshold is on."""

    RETURN = "return"  # the mean evaluation return
    SUCCESS_RATE = "success_rate"  # the share of evaluation episodes with info["is_success"]


class Hindsight(StrEnum):
    """Hindsight experience replay's goal strategy (Andrychowicz et al. 2017); NONE: off."""

    NONE = "none"
    FUTURE = "future"
    FINAL = "final"
    EPISODE = "episode"
    RANDOM = "random"


class LearningRateDecay(StrEnum):
    """How ``learning_rate`` changes over the run when no ``learning_rate_schedule`` is set."""

    CONSTANT = "constant"
    LINEAR = "linear"  # to 0 at the end of schedule.improve_steps


class InferenceBackend(StrEnum):
    """The backend an agent acts with."""

    NUMPY = "numpy"  # fast at small batch; what rollout workers always use
    TORCH = "torch"


class Vectorization(StrEnum):
    """How the training envs run."""

    SYNC = "sync"  # one process
    ASYNC = "async"  # a subprocess per env


class Device(StrEnum):
    """Where the learner trains."""

    CPU = "cpu"
    CUDA = "cuda"
    AUTO = "auto"  # cuda when available


@dataclass(slots=True, kw_only=True)
class NetworkParams:
    """Embedder -> middleware -> heads; the embedder is chosen from the observation shape."""

    hidden_sizes: tuple[int, ...] = (64, 64)  # FC middleware layer widths
    activation: Activation = Activation.TANH
    middleware: MiddlewareKind = MiddlewareKind.FC  # lstm: a recurrent policy (on-policy agents)
    lstm_size: int = 64  # LSTM cells after the FC layers (middleware lstm)
    post_lstm_sizes: tuple[int, ...] = ()  # FC layer widths on the LSTM's output (middleware lstm)
    separate_towers: bool = False  # give each head its own embedder+middleware (actor/critic)
    ortho_init: bool = True  # orthogonal initialisation (Engstrom et al. 2020)
    image_channels: ImageChannels = ImageChannels.AUTO  # image axes

    def __post_init__(self) -> None:
        self.activation = choice("activation", self.activation, Activation)
        self.image_channels = choice("image_channels", self.image_channels, ImageChannels)
        self.middleware = choice("middleware", self.middleware, MiddlewareKind)
        positive("lstm_size", self.lstm_size)
        for width in self.hidden_sizes:
            positive("hidden_sizes", width)
        for width in self.post_lstm_sizes:
            positive("post_lstm_sizes", width)
        if self.post_lstm_sizes and self.middleware is not MiddlewareKind.LSTM:
            raise FieldError("post_lstm_sizes", f"{list(self.post_lstm_sizes)} needs "
                             "middleware='lstm' (these layers sit after the LSTM); with "
                             f"middleware={self.middleware.value!r} set post_lstm_sizes=[]")


@dataclass(slots=True, kw_only=True)
class AlgorithmParams:
    """Hyperparameters of the update rule; agents subclass this."""

    discount: float = 0.99  # gamma

    def __post_init__(self) -> None:
        in_range("discount", self.discount, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class MemoryParams:
    """Replay memory: size, sampling (uniform or prioritised, Schaul et al. 2016), checkpointing."""

    capacity: int = 100_000  # transitions
    kind: MemoryKind = MemoryKind.UNIFORM
    priority_exponent: float = 0.6  # alpha: how strongly priorities shape sampling
    importance_exponent: float = 0.4  # beta at the start; annealed linearly to 1 over improve
    save_in_checkpoint: bool = False  # store replay contents in every checkpoint
    n_step: int = 1  # n of n-step returns: transitions carry n discounted rewards and s_{t+n}
    store_frames_once: bool = False  # stacked image observations: each distinct frame once
    hindsight: Hindsight = Hindsight.NONE  # relabel episodes with achieved goals (kind episodic)
    hindsight_goals: int = 4  # k: relabelled copies of each episode
    goal_tolerance: float = 0.0  # a goal within this Euclidean distance is reached
    goal_rewards: tuple[float, float] = (0.0, -1.0)  # (reached, not reached), as the env pays
    goal_terminates: bool = True  # a relabelled step that reaches its goal ends the episode

    def __post_init__(self) -> None:
        positive("capacity", self.capacity)
        positive("n_step", self.n_step)
        self.kind = choice("kind", self.kind, MemoryKind)
        self.hindsight = choice("hindsight", self.hindsight, Hindsight)
        positive("hindsight_goals", self.hindsight_goals)
        non_negative("goal_tolerance", self.goal_tolerance)
        if self.hindsight is not Hindsight.NONE and self.kind is not MemoryKind.EPISODIC:
            raise FieldError("hindsight", f"{self.hindsight.value!r} relabels whole episodes: "
                                          f"it needs kind='episodic', not {self.kind.value!r}")
        in_range("priority_exponent", self.priority_exponent, 0.0, 1.0)
        in_range("importance_exponent", self.importance_exponent, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class AgentParams:
    """What every agent has: an algorithm, a network, an optimiser and an acting backend."""

    agent_path: ClassVar[str] = ""  # "module:Class" of the agent these params build
    algorithm: AlgorithmParams = field(default_factory=AlgorithmParams)
    network: NetworkParams = field(default_factory=NetworkParams)
    learning_rate: float = 3e-4  # Adam step size
    learning_rate_decay: LearningRateDecay = LearningRateDecay.CONSTANT
    learning_rate_schedule: Schedule | None = None  # the rate over env steps (as exploration's)
    adam_epsilon: float = 1e-5  # Adam epsilon
    max_grad_norm: float = 0.0  # clip the global gradient norm to this; 0 disables
    inference_backend: InferenceBackend = InferenceBackend.NUMPY  # the backend that acts

    def __post_init__(self) -> None:
        positive("learning_rate", self.learning_rate)
        self.learning_rate_decay = choice("learning_rate_decay", self.learning_rate_decay,
                                          LearningRateDecay)
        if (self.learning_rate_schedule is not None
                and self.learning_rate_decay is not LearningRateDecay.CONSTANT):
            raise FieldError("learning_rate_schedule", "is set, so learning_rate_decay must be "
                             f"'constant', not {self.learning_rate_decay.value!r}: the schedule "
                             "alone gives the rate")
        positive("adam_epsilon", self.adam_epsilon)
        non_negative("max_grad_norm", self.max_grad_norm)
        self.inference_backend = choice("inference_backend", self.inference_backend,
                                        InferenceBackend)


@dataclass(slots=True, kw_only=True)
class FilterParams:
    """Observation and reward filters applied between env and agent."""

    normalize_observations: bool = False  # running mean/std normalisation (checkpointed)
    observation_clip: float = 10.0  # clip normalised observations to +-this
    reward_scale: float = 1.0  # multiply rewards by this
    reward_clip: float = 0.0  # clip rewards to +-this after scaling; 0 disables

    def __post_init__(self) -> None:
        positive("observation_clip", self.observation_clip)
        positive("reward_scale", self.reward_scale)
        non_negative("reward_clip", self.reward_clip)


class Preprocessing(StrEnum):
    """Observation and reward pipelines for env families."""

    NONE = "none"
    ATARI = "atari"  # DeepMind's (Mnih et al. 2015; Machado et al. 2018), env.atari's settings
    FLATTEN = "flatten"  # a Dict of Boxes (DeepMind Control's) as one flat Box, keys in order
    DOOM = "doom"  # ViZDoom's screen small and gray beside its game variables, env.doom's settings


@dataclass(slots=True, kw_only=True)
class AtariParams:
    """DeepMind's Atari preprocessing (for env.preprocessing='atari')."""

    noop_max: int = 30  # up to this many no-op actions at the start of an episode
    frame_skip: int = 4  # each action repeated; the observation max-pools the last two frames
    screen_size: int = 84  # square frames of this side
    grayscale: bool = True
    frame_stack: int = 4  # observations are the last frames, channels first, uint8
    terminal_on_life_loss: bool = True  # training only: a lost life ends the learning episode
    clip_rewards: bool = True  # training only: rewards become their sign

    def __post_init__(self) -> None:
        non_negative("noop_max", self.noop_max)
        for name in ("frame_skip", "screen_size", "frame_stack"):
            positive(name, getattr(self, name))


@dataclass(slots=True, kw_only=True)
class DoomParams:
    """ViZDoom preprocessing (for env.preprocessing='doom'); defaults: Coach's Doom filters
    (frame skip 4, a stack of 3 gray frames) at 60x80, half the 160x120 render each way."""

    frame_skip: int = 4  # each action repeated for this many tics by the game, rewards summed
    screen_height: int = 60  # the screen is resized to screen_height x screen_width, gray
    screen_width: int = 80
    frame_stack: int = 3  # the screen is the last frames, channels first, uint8
    game_variable_scale: float = 0.01  # game variables (health, ammo: tens) times this

    def __post_init__(self) -> None:
        for name in ("frame_skip", "screen_height", "screen_width", "frame_stack"):
            positive(name, getattr(self, name))
        positive("game_variable_scale", self.game_variable_scale)


@dataclass(slots=True, kw_only=True)
class EnvironmentParams:
    """A Gymnasium environment: registered id or ``module:Class``, vectorised ``n_envs`` times."""

    env_id: str = "CartPole-v1"  # gymnasium id or "module:Class"
    n_envs: int = 1  # parallel envs in the training vector env
    vectorization: Vectorization = Vectorization.SYNC
    max_episode_steps: int = 0  # override the env's time limit; 0 keeps it
    env_kwargs: dict[str, object] = field(default_factory=dict)  # passed to gymnasium.make
    check: bool = True  # run Gymnasium's env checker on a module:Class env at start-up
    preprocessing: Preprocessing = Preprocessing.NONE
    atari: AtariParams = field(default_factory=AtariParams)
    doom: DoomParams = field(default_factory=DoomParams)
    filters: FilterParams = field(default_factory=FilterParams)

    def __post_init__(self) -> None:
        positive("n_envs", self.n_envs)
        self.vectorization = choice("vectorization", self.vectorization, Vectorization)
        self.preprocessing = choice("preprocessing", self.preprocessing, Preprocessing)
        non_negative("max_episode_steps", self.max_episode_steps)


@dataclass(slots=True, kw_only=True)
class ScheduleParams:
    """How long to run and how often to evaluate (Coach's heatup/improve/evaluation steps)."""

    heatup_steps: EnvSteps = EnvSteps(0)  # random-action steps before learning
    improve_steps: EnvSteps = EnvSteps(100_000)  # total env steps of training
    evaluation_period: EnvSteps = EnvSteps(10_000)  # env steps between evaluations
    evaluation_episodes: Episodes = Episodes(10)  # episodes per evaluation, deterministic policy
    checkpoint_period: EnvSteps = EnvSteps(25_000)  # env steps between checkpoints
    # wall-clock seconds between checkpoints besides the step period (Coach's
    # --checkpoint_save_secs), so a kill loses at most this much training; 0 turns it off
    checkpoint_seconds: float = 120.0
    # record one evaluation episode as video every this many evaluations (run_dir/videos/ and
    # TensorBoard); 0: never (the env must render rgb_array frames)
    video_every_evaluations: int = 0

    def __post_init__(self) -> None:
        non_negative("video_every_evaluations", self.video_every_evaluations)
        non_negative("heatup_steps", self.heatup_steps)
        positive("improve_steps", self.improve_steps)
        positive("evaluation_period", self.evaluation_period)
        positive("evaluation_episodes", self.evaluation_episodes)
        positive("checkpoint_period", self.checkpoint_period)
        non_negative("checkpoint_seconds", self.checkpoint_seconds)


class WorkerMode(Enum):
    """How the learner consumes rollout workers' fragments (docs/distributed.md)."""

    AUTO = "auto"  # sync for on-policy agents, async for off-policy ones, A3C and IMPALA
    SYNC = "sync"  # collect from every worker, learn, broadcast
    ASYNC = "async"  # learn from each fragment as it arrives (Ape-X; A3C's gradients)


@dataclass(slots=True, kw_only=True)
class RunParams:
    """Seed, device, output, checkpoint policy and rollout workers of one run."""

    seed: int = 0  # seeds numpy, torch and every env
    device: Device = Device.CPU  # the learner's device
    torch_threads: int = 1  # intra-op threads of the learner
    numpy_threads: int = 1  # numpy's BLAS threads in each process of the run; 0: numpy's own
    experiment_dir: str = "experiments"  # run directories are created under this
    keep_checkpoints: int = 3  # last K checkpoints kept (plus the best)
    stop_at_threshold: bool = False  # stop once evaluation reaches the validation threshold
    log_period: EnvSteps = EnvSteps(2_000)  # env steps between console/TensorBoard updates
    max_nonfinite_updates: int = 3  # stop after this many training calls in a row with NaN/inf
    dataset: str = ""  # batch RL: train from this dataset (coachrl collect) instead of the env
    epochs: int = 0  # batch RL: passes over the dataset; 0: schedule.improve_steps transitions
    # rollout workers on Ray (docs/distributed.md); the train command's flags set these
    workers: int = 0  # rollout worker actors, one CPU each; 0: one process, Ray never imported
    envs_per_worker: int = 0  # envs in each worker's vector env; 0: the preset's env.n_envs
    mode: WorkerMode = WorkerMode.AUTO  # how the learner consumes the workers' fragments
    address: str = ""  # an existing Ray cluster ("auto" or HOST:PORT); "": start a local one
    max_worker_restarts: int = 10  # worker replacements allowed in the whole run
    worker_timeout: float = 120.0  # seconds a worker may take to answer before it is replaced

    def __post_init__(self) -> None:
        self.device = choice("device", self.device, Device)
        non_negative("workers", self.workers)
        non_negative("epochs", self.epochs)
        non_negative("envs_per_worker", self.envs_per_worker)
        non_negative("max_worker_restarts", self.max_worker_restarts)
        positive("worker_timeout", self.worker_timeout)
        positive("max_nonfinite_updates", self.max_nonfinite_updates)
        positive("torch_threads", self.torch_threads)
        non_negative("numpy_threads", self.numpy_threads)
        positive("keep_checkpoints", self.keep_checkpoints)
        positive("log_period", self.log_period)


@dataclass(slots=True, kw_only=True)
class Validation:
    """The preset's promise: the mean deterministic return (or success rate) >= min_reward
    within max_env_steps."""

    min_reward: float  # threshold on the mean evaluation return, or on the success rate
    max_env_steps: EnvSteps  # step budget in which the threshold must be reached
    episodes: Episodes = Episodes(10)  # evaluation episodes averaged
    metric: ValidationMetric = ValidationMetric.RETURN  # what min_reward is a threshold on

    def __post_init__(self) -> None:
        positive("max_env_steps", self.max_env_steps)
        positive("episodes", self.episodes)
        self.metric = choice("metric", self.metric, ValidationMetric)
        if self.metric is ValidationMetric.SUCCESS_RATE:
            in_range("min_reward", self.min_reward, 0.0, 1.0)


@dataclass(slots=True, kw_only=True)
class Preset:
    """A runnable configuration: ``coachrl train NAME`` builds everything from this."""

    agent: AgentParams
    env: EnvironmentParams
    schedule: ScheduleParams = field(default_factory=ScheduleParams)
    validation: Validation
    run: RunParams = field(default_factory=RunParams)
    levels: dict[str, str] = field(default_factory=dict)  # --level NAME -> env.env_id
    # --level NAME also applies these NAME -> `--set` assignments (the values the literature
    # uses on that env: networks, budget, threshold); the user's own --set come after them
    level_overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    name: str = ""  # filled in by the loader from the module name

    def __post_init__(self) -> None:
        if not type(self.agent).agent_path:
            raise FieldError("agent", f"{type(self.agent).__name__} names no agent_path")
        unknown = sorted(set(self.level_overrides) - set(self.levels))
        if unknown:
            raise FieldError("level_overrides", f"{', '.join(unknown)} not among the levels "
                                                f"({', '.join(sorted(self.levels)) or 'none'})")

    def level_env(self, level: str) -> str:
        """The env id of one of the preset's levels (an Atari game, a MuJoCo robot, a Doom
        scenario); a clear error naming the levels there are."""
        if level not in self.levels:
            have = (f"its levels are {', '.join(sorted(self.levels))}" if self.levels else
                    "it has none; choose another env with --env ID")
            raise FieldError("level", f"{level!r} is not a level of preset {self.name or '?'}; "
                                      f"{have}")
        return self.levels[level]

    def level_assignments(self, level: str) -> list[str]:
        """What ``--level NAME`` sets: the level's env id, then its ``level_overrides``."""
        return [f"env.env_id={self.level_env(level)}", *self.level_overrides.get(level, ())]


__all__ = [
    "AgentParams", "AlgorithmParams", "EnvironmentParams", "FilterParams", "MemoryParams",
    "NetworkParams", "Preset", "RunParams", "Schedule", "ScheduleParams", "Validation",
]
