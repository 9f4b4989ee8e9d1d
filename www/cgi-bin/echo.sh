#!/usr/bin/env sh
# echo.sh: the POST target of /cgi-form.html (like Tinyhttpd's color.cgi):
# answers a page in the colour the form sent, every field shown back escaped.

# The form, as application/x-www-form-urlencoded text: "color=teal&note=hi".
# A POST body is exactly CONTENT_LENGTH bytes on stdin (RFC 3875 §4.2);
# head -c stops there instead of waiting for an end of file. A GET (the
# page opened by hand, /cgi-bin/echo.sh?color=red) has it in QUERY_STRING.
if [ "${REQUEST_METHOD:-GET}" = POST ]; then
    length=${CONTENT_LENGTH:-0}
    case $length in '' | *[!0-9]*) length=0 ;; esac
    if [ "${#length}" -gt 6 ]; then length=999999; fi  # a demo: a small form
    form=$(head -c "$length")
else
    form=${QUERY_STRING:-}
fi

# Writes one byte, given as a number, HTML-escaped. A NUL is left out.
# shellcheck disable=SC2059  # the octal escape is built into the format on purpose
emit_byte() {
    case $1 in
        0) ;;
        34) printf '&quot;' ;;
        38) printf '&amp;' ;;
        39) printf '&#39;' ;;
        60) printf '&lt;' ;;
        62) printf '&gt;' ;;
        *) printf "\\$(printf '%03o' "$1")" ;;  # "\101" is byte 65, "A"
    esac
}

# Writes a form value percent-decoded ("+" is a space, "%C3%B6" is two bytes
# of UTF-8) and HTML-escaped, so that "<script>" shows as text. Plain sh has
# no better tool than a loop over the characters: values are cut at 200.
decode_html() {
    rest=$(printf '%.200s' "$1")
    while [ -n "$rest" ]; do
        c=${rest%"${rest#?}"}  # the first character
        rest=${rest#?}
        case $c in
            +) printf ' ' ;;
            %)
                hex=${rest%"${rest#??}"}
                case $hex in
                    [0-9A-Fa-f][0-9A-Fa-f])
                        rest=${rest#??}
                        emit_byte $((0x$hex))
                        ;;
                    *) printf '%%' ;;  # a stray "%": shown as it is
                esac
                ;;
            '"') printf '&quot;' ;;
            '&') printf '&amp;' ;;
            "'") printf '&#39;' ;;
            '<') printf '&lt;' ;;
            '>') printf '&gt;' ;;
            *) printf '%s' "$c" ;;
        esac
    done
}

# The colour goes into a style attribute, where escaping is not enough
# ("red; background-image: url(...)"): only a name or a #hex value is taken.
colour=teal
colour_note=''
rows=''
count=0
set -f        # no filename expansion of the fields
old_ifs=$IFS
IFS='&'
for pair in $form; do
    count=$((count + 1))
    if [ "$count" -gt 20 ]; then break; fi
    name=${pair%%=*}
    value=''
    case $pair in *=*) value=${pair#*=} ;; esac
    rows="$rows<tr><td><code>$(decode_html "$name")</code></td><td>$(decode_html "$value")</td></tr>
"
    if [ "$name" = color ]; then
        candidate=$value
        case $value in %23*) candidate="#${value#%23}" ;; esac  # "#" arrives as %23
        case ${candidate#\#} in
            '' | *[!A-Za-z0-9]*)
                colour_note="<p>The colour <code>$(decode_html "$value")</code> is not one this page accepts (a name such as <code>teal</code> or a value such as <code>#ffcc00</code>), so it stays teal.</p>"
                ;;
            *)
                if [ "${#candidate}" -le 32 ]; then colour=$candidate; fi
                ;;
        esac
    fi
done
IFS=$old_ifs
set +f

printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
cat <<PAGE
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Your colour — stephttpd CGI</title>
<link rel="stylesheet" href="/style.css">
</head>
<body style="background: $colour">
<main style="background: #fff; padding: 1rem 1.5rem; border-radius: 6px">
<h1>This page is $colour</h1>
$colour_note
<p>echo.sh received a <code>$(decode_html "${REQUEST_METHOD:-GET}")</code>
request with these fields:</p>
<table>
<tr><th>field</th><th>value</th></tr>
$rows</table>
<p class="muted">Percent-decoded and HTML-escaped by a shell script, which read
exactly CONTENT_LENGTH bytes of the body from its standard input.</p>
<p><a href="/cgi-form.html">Send the form again</a></p>
</main>
</body>
</html>
PAGE
