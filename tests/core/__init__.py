"""Tests of the core engine: parser, manifest answers, templating, binding, validation and planning."""
