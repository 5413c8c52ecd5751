"""Spec file formats: loopscape's native YAML and Timeloop v0.4 YAML, with one loader for both."""

from loopscape.io.load import Specs, detect_format, load_specs

__all__ = ["Specs", "detect_format", "load_specs"]
