"""Recording media: transcodes, per-channel files, waveform PNGs, signed share links."""
