"""Frames -> an animated-GIF image summary, the form TensorBoard shows videos in."""

from __future__ import annotations

import io
from typing import Any

import numpy as np


def encode_gif(frames: Any, *, fps: int = 30, max_side: int = 320) -> tuple[bytes, int, int]:
    """GIF bytes, height and width of ``frames`` ([T, H, W, 3] uint8), downscaled to max_side."""
    from PIL import Image

    array = np.asarray(frames, dtype=np.uint8)
    images = [Image.fromarray(frame) for frame in array]
    scale = max_side / max(images[0].size)
    if scale < 1:
        size = (max(1, int(images[0].width * scale)), max(1, int(images[0].height * scale)))
        images = [image.resize(size) for image in images]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=max(1, int(1000 / fps)), loop=0)
    return buffer.getvalue(), images[0].height, images[0].width


def gif_summary(tag: str, frames: Any, *, fps: int = 30) -> Any:
    """A ``Summary`` proto holding the GIF as an image, as TensorBoard's own video summary does."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    data, height, width = encode_gif(frames, fps=fps)
    image = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=data)
    return Summary(value=[Summary.Value(tag=tag, image=image)])
