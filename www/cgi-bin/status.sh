#!/usr/bin/env sh
# status.sh: a CGI program that chooses its own status with the Status
# header field (RFC 3875 §6.3.3): the server sends "404 Not Found", not 200.

printf 'Status: 404 Not Found\r\n'
printf 'Content-Type: text/plain; charset=utf-8\r\n'
printf '\r\n'
printf 'status.sh answered 404 Not Found on purpose.\n'
printf 'The "Status:" line of its output became the status line of the response.\n'
