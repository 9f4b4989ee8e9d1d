#!/usr/bin/env sh
# redirect.sh: a local redirect (RFC 3875 §6.2.2): a Location that is a path
# and nothing else, so the server answers with /index.html itself.

printf 'Location: /index.html\r\n\r\n'
