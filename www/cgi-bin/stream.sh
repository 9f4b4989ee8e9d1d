#!/usr/bin/env sh
# stream.sh: five lines, one every 0.2 s, and no Content-Length: the server
# forwards each line as it comes (chunked for HTTP/1.1, until close for 1.0).

printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n'
i=1
while [ "$i" -le 5 ]; do
    printf 'line %d of 5\n' "$i"  # printf is a builtin: written at once, not buffered
    if [ "$i" -lt 5 ]; then sleep 0.2; fi
    i=$((i + 1))
done
