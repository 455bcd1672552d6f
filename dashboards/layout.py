"""The custom-scalars layout every run carries: RL charts grouped by what a user looks for.

Multiline charts take regular expressions, so tags that only some agents or run modes log
(entropy, alpha, per-worker throughput, policy lag) appear when present and stay empty otherwise.
Margin charts draw a band between a lower and an upper tag around the value tag.
"""

from __future__ import annotations

from typing import Any

# A chart is (kind, tags): "Multiline" with regexes, or "Margin" with (value, lower, upper).
Chart = tuple[str, list[str]]
Layout = dict[str, dict[str, Chart]]

BAND_TAGS = {
    "eval/return": ("eval/return_mean", "eval/return_lower", "eval/return_upper"),
    "train/return": ("train/return_mean", "train/return_lower", "train/return_upper"),
}


def _margin(name: str) -> Chart:
    return ("Margin", list(BAND_TAGS[name]))


def rl_layout() -> Layout:
    """Category -> chart title -> chart, in the shape ``SummaryWriter.add_custom_scalars`` takes."""
    return {
        "1 returns": {
            "evaluation return (mean ± std over episodes)": _margin("eval/return"),
            "training return (last 100 episodes, mean ± std)": _margin("train/return"),
            "training episode return": ("Multiline", [r"train/episode_return$"]),
        },
        "2 episodes": {
            "episode length (train, eval)": ("Multiline", [r"(train|eval)/episode_length$"]),
        },
        "3 losses": {
            "loss per head": ("Multiline", [r"loss/(?!total$|nonfinite$).*"]),
            "total loss": ("Multiline", [r"loss/total$"]),
        },
        "4 exploration": {
            "epsilon": ("Multiline", [r"exploration/.*"]),
            "policy entropy": ("Multiline", [r".*/entropy$"]),
            "entropy temperature (alpha)": ("Multiline", [r".*/alpha$", r".*/log_alpha$"]),
            "PPO: approx KL and clip fraction": ("Multiline", [r".*/approx_kl$",
                                                             r".*/clip_fraction$"]),
        },
        "5 optimisation": {
            "learning rate": ("Multiline", [r"optim/lr$", r"optim/.*_lr$"]),
            "gradient norm": ("Multiline", [r"optim/.*grad_norm$"]),
        },
        "6 throughput": {
            "env steps per second": ("Multiline", [r"perf/env_steps_per_s$"]),
            "per-worker env steps per second": ("Multiline", [r"workers?/.*steps_per_s.*"]),
            "policy lag (learner updates behind)": ("Multiline", [r".*policy_lag.*"]),
            "dropped and restarted": ("Multiline", [r"workers?/.*(dropped|restart).*"]),
        },
    }


def layout_tags(layout: Layout) -> list[str]:
    """Every tag or regex a layout names, in order (for checks and docs)."""
    return [tag for charts in layout.values() for _, tags in charts.values() for tag in tags]


def as_jsonable(layout: Layout) -> dict[str, Any]:
    """The layout with lists only, as a JSON file or the writer expects it."""
    return {cat: {title: [kind, list(tags)] for title, (kind, tags) in charts.items()}
            for cat, charts in layout.items()}
