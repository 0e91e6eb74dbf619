"""Provider manifests: reading them and looking names up in them."""

from .model import AuthConfig, Method, Parameter, Provider, Resource, Service
from .registry import Registry, Target, default_root, root_from_option

__all__ = [
    "AuthConfig",
    "Method",
    "Parameter",
    "Provider",
    "Registry",
    "Resource",
    "Service",
    "Target",
    "default_root",
    "root_from_option",
]
