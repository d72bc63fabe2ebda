"""PKI errors, grouped by what the operator can do about them (all under :class:`EgovopsError`)."""

from __future__ import annotations

from egovops.errors import EgovopsError, InputError, Problem


class ProfileError(InputError):
    """Raised when a certificate request does not fit its profile; every reason is listed.

    Fix the request (subject, SANs, lifetime, key) or choose the right profile.
    """


class SecretMissingError(InputError):
    """Raised when a passphrase or PIN is needed but no env var, file or terminal provides it."""


class InsecurePermissionsError(InputError):
    """Raised when a CA directory, key file or ledger is readable by others (or owned by another
    user); every offending path is listed. Fix the modes (dirs 0700, keys 0600) and rerun.
    """


class CaStateError(InputError):
    """Raised when the CA directory is missing, not initialised, already initialised, or the
    named certificate is not in the ledger."""


class TokenError(EgovopsError):
    """Raised when a PKCS#11 module or token fails: module not loadable, token not found,
    wrong PIN, object missing. The message names the module and token label.
    """


class AuditChainError(EgovopsError):
    """Raised when the hash-chained audit log does not verify (an entry edited, deleted or
    reordered). Investigate: the CA directory was tampered with."""


__all__ = [
    "AuditChainError",
    "CaStateError",
    "InsecurePermissionsError",
    "Problem",
    "ProfileError",
    "SecretMissingError",
    "TokenError",
]
