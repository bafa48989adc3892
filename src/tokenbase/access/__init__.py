"""Who may read what: access scopes, grants and department inheritance."""

from .scope import FULL_ACCESS, NO_ACCESS, AccessScope, kb_level, scope_for_user

__all__ = ["FULL_ACCESS", "NO_ACCESS", "AccessScope", "kb_level", "scope_for_user"]
