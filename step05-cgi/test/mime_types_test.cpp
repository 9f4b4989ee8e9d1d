// Unit tests for mime_type_for(): the extension table, case-insensitivity and
// the names that have no extension (no dot, dotfiles, trailing dot, dotted dirs).
#include "mime_types.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace {

constexpr std::string_view kOctet = "application/octet-stream";

TEST(MimeTypes, CommonExtensions) {
    EXPECT_EQ(mime_type_for("index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type_for("old.htm"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type_for("style.css"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type_for("app.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mime_type_for("module.mjs"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mime_type_for("data.json"), "application/json");
    EXPECT_EQ(mime_type_for("notes.txt"), "text/plain; charset=utf-8");
    EXPECT_EQ(mime_type_for("README.md"), "text/markdown; charset=utf-8");
    EXPECT_EQ(mime_type_for("table.csv"), "text/csv; charset=utf-8");
    EXPECT_EQ(mime_type_for("feed.xml"), "application/xml");
    EXPECT_EQ(mime_type_for("logo.svg"), "image/svg+xml");
    EXPECT_EQ(mime_type_for("a.png"), "image/png");
    EXPECT_EQ(mime_type_for("a.jpg"), "image/jpeg");
    EXPECT_EQ(mime_type_for("a.jpeg"), "image/jpeg");
    EXPECT_EQ(mime_type_for("a.gif"), "image/gif");
    EXPECT_EQ(mime_type_for("a.webp"), "image/webp");
    EXPECT_EQ(mime_type_for("favicon.ico"), "image/x-icon");
    EXPECT_EQ(mime_type_for("paper.pdf"), "application/pdf");
    EXPECT_EQ(mime_type_for("prog.wasm"), "application/wasm");
    EXPECT_EQ(mime_type_for("font.woff2"), "font/woff2");
    EXPECT_EQ(mime_type_for("a.zip"), "application/zip");
    EXPECT_EQ(mime_type_for("clip.mp4"), "video/mp4");
}

TEST(MimeTypes, OnlyTheLastExtensionCounts) {
    EXPECT_EQ(mime_type_for("archive.tar.gz"), "application/gzip");
    EXPECT_EQ(mime_type_for("page.html.bak"), kOctet);
    EXPECT_EQ(mime_type_for("jquery.min.js"), "text/javascript; charset=utf-8");
}

TEST(MimeTypes, CaseInsensitive) {
    EXPECT_EQ(mime_type_for("INDEX.HTML"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type_for("Photo.JpG"), "image/jpeg");
    EXPECT_EQ(mime_type_for("image.PNG"), "image/png");
    EXPECT_EQ(mime_type_for("/Dir/Style.Css"), "text/css; charset=utf-8");
}

TEST(MimeTypes, UnknownExtensionIsOctetStream) {
    EXPECT_EQ(mime_type_for("a.xyz"), kOctet);
    EXPECT_EQ(mime_type_for("a.exe"), kOctet);
    EXPECT_EQ(mime_type_for("a.htmlx"), kOctet);  // no prefix matching
    EXPECT_EQ(mime_type_for("a.ht"), kOctet);
}

TEST(MimeTypes, NoExtension) {
    EXPECT_EQ(mime_type_for(""), kOctet);
    EXPECT_EQ(mime_type_for("Makefile"), kOctet);
    EXPECT_EQ(mime_type_for("/srv/www/LICENSE"), kOctet);
    EXPECT_EQ(mime_type_for("/srv/www/dir/"), kOctet);
}

TEST(MimeTypes, DotfileHasNoExtension) {
    EXPECT_EQ(mime_type_for(".bashrc"), kOctet);
    EXPECT_EQ(mime_type_for(".html"), kOctet);  // a file named ".html", not an HTML file
    EXPECT_EQ(mime_type_for("/home/u/.css"), kOctet);
    // A dotfile that also has an extension uses it.
    EXPECT_EQ(mime_type_for(".hidden.txt"), "text/plain; charset=utf-8");
}

TEST(MimeTypes, TrailingDotIsNoExtension) {
    EXPECT_EQ(mime_type_for("file."), kOctet);
    EXPECT_EQ(mime_type_for("index.html."), kOctet);
}

TEST(MimeTypes, DotsInDirectoryNamesAreIgnored) {
    EXPECT_EQ(mime_type_for("/v1.2/README"), kOctet);
    EXPECT_EQ(mime_type_for("/site.html/notes"), kOctet);
    EXPECT_EQ(mime_type_for("/a.b/c.d/file.css"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type_for("/srv/my.site/.well-known/config"), kOctet);
    EXPECT_EQ(mime_type_for("relative.dir/page.html"), "text/html; charset=utf-8");
}

}  // namespace
