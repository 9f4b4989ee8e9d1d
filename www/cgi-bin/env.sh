#!/usr/bin/env sh
# env.sh: prints, sorted, the environment the server gave this program: the
# CGI meta-variables of RFC 3875 §4.1 and one HTTP_* per request header.

printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'

# The shell adds PWD (some shells also OLDPWD, SHLVL and _) on its own:
# those did not come from the server. Everything else did, and nothing of
# the server's own environment should be among it.
env | LC_ALL=C sort | while IFS= read -r line; do
    case $line in
        PWD=* | OLDPWD=* | SHLVL=* | _=*) ;;
        *) printf '%s\n' "$line" ;;
    esac
done
