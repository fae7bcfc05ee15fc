// Ends an allowlist expansion begun with allowlist_macros.h.
#undef ALLOW
#undef ALLOW_IF
#undef DENY_ERRNO
#pragma GCC diagnostic pop
