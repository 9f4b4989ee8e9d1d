// Unit tests for percent_decode() and resolve_target(): decoding, index files,
// redirects, and every way out of the document root (on a temporary tree).
// From step03 resolve_target() opens the file (openat2, RESOLVE_BENEATH):
// a test checks that the descriptor it returns is the file it should be.
#include "path_resolver.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using Kind = Resolution::Kind;

// ---------------------------------------------------------------- percent_decode

TEST(PercentDecode, ValidEscapes) {
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_EQ(percent_decode("/plain/path.txt"), "/plain/path.txt");
    EXPECT_EQ(percent_decode("%41"), "A");
    EXPECT_EQ(percent_decode("a%20b"), "a b");
    EXPECT_EQ(percent_decode("%2F%2f"), "//");
    EXPECT_EQ(percent_decode("%e2%82%ac"), "\xe2\x82\xac");  // UTF-8 euro sign
    EXPECT_EQ(percent_decode("%ff"), "\xff");
    EXPECT_EQ(percent_decode("%41%42%43"), "ABC");
}

TEST(PercentDecode, UppercaseAndLowercaseHexAreEqual) {
    EXPECT_EQ(percent_decode("%4a"), "J");
    EXPECT_EQ(percent_decode("%4A"), "J");
    EXPECT_EQ(percent_decode("%aB"), percent_decode("%Ab"));
    EXPECT_EQ(percent_decode("%2e%2E"), "..");
}

TEST(PercentDecode, DecodesExactlyOnce) {
    EXPECT_EQ(percent_decode("%2541"), "%41");
    EXPECT_EQ(percent_decode("%252e%252e"), "%2e%2e");
}

TEST(PercentDecode, PlusIsNotASpaceInAPath) {
    EXPECT_EQ(percent_decode("a+b"), "a+b");
    EXPECT_EQ(percent_decode("+"), "+");
}

TEST(PercentDecode, NulIsDecodedAndLeftToTheCaller) {
    auto decoded = percent_decode("a%00b");
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, std::string("a\0b", 3));
}

TEST(PercentDecode, MalformedEscapesAreRefused) {
    EXPECT_EQ(percent_decode("%zz"), std::nullopt);
    EXPECT_EQ(percent_decode("%g1"), std::nullopt);
    EXPECT_EQ(percent_decode("%1g"), std::nullopt);
    EXPECT_EQ(percent_decode("%4"), std::nullopt);      // truncated at the end
    EXPECT_EQ(percent_decode("/a%4"), std::nullopt);
    EXPECT_EQ(percent_decode("%"), std::nullopt);       // alone
    EXPECT_EQ(percent_decode("/a%"), std::nullopt);
    EXPECT_EQ(percent_decode("%%41"), std::nullopt);
    EXPECT_EQ(percent_decode("% 41"), std::nullopt);
    EXPECT_EQ(percent_decode("%-1"), std::nullopt);
}

// ---------------------------------------------------------------- resolve_target

// A temporary tree:
//   BASE/www/                  the document root (its real path is root_)
//     index.html  file.txt  a b.txt  image.PNG
//     sub/index.html  sub/nested/deep.css
//     noindex/x.txt             a directory without index.html
//     fifo                      a named pipe
//     link-inside -> file.txt   link-dir-inside -> sub
//     link-out-file -> ../outside/secret.txt   link-out-dir -> ../outside
//     link-sibling -> ../www2/secret.txt       (a sibling whose name starts like the root)
//     link-absolute -> ROOT/file.txt           (absolute, though it points inside)
//     idx-out/index.html -> ../../outside/secret.txt
//   BASE/outside/secret.txt   BASE/www2/secret.txt
// The tests only read it, so it is built once for the suite (it takes a few
// tens of milliseconds on some file systems) and removed at the end.
class ResolveTarget : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        char tmpl[] = "/tmp/path_resolver_test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        base_ = tmpl;
        const fs::path www = base_ / "www";
        fs::create_directories(www / "sub" / "nested");
        fs::create_directories(www / "noindex");
        fs::create_directories(www / "idx-out");
        fs::create_directories(base_ / "outside");
        fs::create_directories(base_ / "www2");
        write(www / "index.html", "<p>root</p>");
        write(www / "file.txt", "file");
        write(www / "a b.txt", "space");
        write(www / "image.PNG", "png");
        write(www / "sub" / "index.html", "<p>sub</p>");
        write(www / "sub" / "nested" / "deep.css", "p{}");
        write(www / "noindex" / "x.txt", "x");
        write(base_ / "outside" / "secret.txt", "secret");
        write(base_ / "www2" / "secret.txt", "secret2");
        ASSERT_EQ(::mkfifo((www / "fifo").c_str(), 0600), 0);
        fs::create_symlink("file.txt", www / "link-inside");
        fs::create_directory_symlink("sub", www / "link-dir-inside");
        fs::create_symlink("../outside/secret.txt", www / "link-out-file");
        fs::create_directory_symlink("../outside", www / "link-out-dir");
        fs::create_symlink("../www2/secret.txt", www / "link-sibling");
        fs::create_symlink("../../outside/secret.txt", www / "idx-out" / "index.html");

        char real[PATH_MAX];
        ASSERT_NE(::realpath(www.c_str(), real), nullptr);
        root_ = real;
        fs::create_symlink(root_ + "/file.txt", www / "link-absolute");
        root_fd_ = open_document_root(root_);
        ASSERT_TRUE(root_fd_.valid());
    }

    static void TearDownTestSuite() {
        std::error_code ignored;
        if (!base_.empty()) fs::remove_all(base_, ignored);  // does not follow symlinks
        base_.clear();
        root_.clear();
        root_fd_.reset();
    }

    void SetUp() override { ASSERT_FALSE(root_.empty()) << "the temporary tree was not built"; }

    static void write(const fs::path& path, const std::string& content) {
        std::ofstream(path) << content;
    }

    static Resolution resolve(std::string_view target) {
        return resolve_target(root_fd_.get(), target);
    }

    // `target` opens the file `relative` (below the root): the same inode.
    static void expect_file(std::string_view target, const std::string& relative) {
        Resolution r = resolve(target);
        EXPECT_EQ(r.kind, Kind::kFile) << target << " -> " << r.status << " " << r.reason;
        EXPECT_EQ(r.status, 200) << target;
        ASSERT_TRUE(r.file.valid()) << target;
        struct stat opened {}, expected {};
        ASSERT_EQ(::fstat(r.file.get(), &opened), 0);
        ASSERT_EQ(::stat((root_ + "/" + relative).c_str(), &expected), 0) << relative;
        EXPECT_EQ(opened.st_ino, expected.st_ino) << target << " is not " << relative;
        EXPECT_EQ(opened.st_dev, expected.st_dev) << target;
        EXPECT_EQ(r.size, static_cast<std::size_t>(expected.st_size)) << target;
    }

    static void expect_error(std::string_view target, int status) {
        Resolution r = resolve(target);
        EXPECT_EQ(r.kind, Kind::kError) << target << " -> path " << r.path;
        EXPECT_EQ(r.status, status) << target << ": " << r.reason;
        EXPECT_FALSE(r.reason.empty()) << target;
        EXPECT_TRUE(r.path.empty()) << target;
        EXPECT_FALSE(r.file.valid()) << target;
    }

    static void expect_redirect(std::string_view target, const std::string& location) {
        Resolution r = resolve(target);
        EXPECT_EQ(r.kind, Kind::kRedirect) << target << " -> " << r.status << " " << r.reason;
        EXPECT_EQ(r.status, 301) << target;
        EXPECT_EQ(r.location, location) << target;
    }

    static inline fs::path base_;
    static inline std::string root_;
    static inline UniqueFd root_fd_;
};

TEST_F(ResolveTarget, RegularFiles) {
    expect_file("/file.txt", "file.txt");
    expect_file("/image.PNG", "image.PNG");
    expect_file("/sub/nested/deep.css", "sub/nested/deep.css");
    expect_file("/sub/index.html", "sub/index.html");
}

TEST_F(ResolveTarget, PercentEncodedNames) {
    expect_file("/a%20b.txt", "a b.txt");
    expect_file("/%66ile.txt", "file.txt");
    expect_file("/sub%2Fnested%2fdeep.css", "sub/nested/deep.css");
}

TEST_F(ResolveTarget, DotAndEmptySegmentsStayInside) {
    expect_file("/./file.txt", "file.txt");
    expect_file("//sub//nested/./deep.css", "sub/nested/deep.css");
}

TEST_F(ResolveTarget, QueryIsStripped) {
    expect_file("/file.txt?x=1", "file.txt");
    expect_file("/file.txt?", "file.txt");
    expect_file("/file.txt?a=/../../etc/passwd&b=%zz", "file.txt");
}

TEST_F(ResolveTarget, DirectoryWithSlashServesItsIndex) {
    expect_file("/", "index.html");
    expect_file("/?q=1", "index.html");
    expect_file("/sub/", "sub/index.html");
    expect_file("/sub/?x=1", "sub/index.html");
}

TEST_F(ResolveTarget, DirectoryWithoutSlashRedirectsKeepingTheQuery) {
    expect_redirect("/sub", "/sub/");
    expect_redirect("/sub?x=1", "/sub/?x=1");
    expect_redirect("/sub/nested", "/sub/nested/");
    expect_redirect("/noindex", "/noindex/");
}

TEST_F(ResolveTarget, DirectoryWithoutIndexIs403) {
    expect_error("/noindex/", 403);
    expect_error("/sub/nested/", 403);
}

TEST_F(ResolveTarget, MissingIs404) {
    expect_error("/missing.txt", 404);
    expect_error("/sub/missing/", 404);
    expect_error("/missing/deeper/file", 404);
    expect_error("/file.txt/", 404);  // a file is not a directory
}

TEST_F(ResolveTarget, DotDotSegmentsAre403) {
    for (const char* target : {"/..", "/../x", "/../", "/a/../../x", "/sub/..", "/sub/../",
                               "/sub/../file.txt", "/sub/nested/../../../x"}) {
        expect_error(target, 403);
    }
}

TEST_F(ResolveTarget, EncodedDotDotSegmentsAre403) {
    for (const char* target : {"/%2e%2e/x", "/%2E%2e%2fx", "/%2e%2E", "/..%2f..%2fetc/passwd",
                               "/sub%2f..%2f..%2fx", "/.%2e/x", "/%2e./x"}) {
        expect_error(target, 403);
    }
}

TEST_F(ResolveTarget, DoubleEncodedDotDotIsJustAName) {
    // "%252e%252e" decodes once to the literal name "%2e%2e", which does not exist.
    expect_error("/%252e%252e/file.txt", 404);
}

TEST_F(ResolveTarget, SymlinksOutOfTheRootAre403) {
    expect_error("/link-out-file", 403);
    expect_error("/link-out-dir/secret.txt", 403);
    expect_error("/link-out-dir/", 403);
    expect_error("/link-out-dir", 403);
    expect_error("/link-sibling", 403);       // "/…/www2" starts with "/…/www"
    expect_error("/idx-out/", 403);           // index.html itself links outside
}

TEST_F(ResolveTarget, SymlinksInsideTheRootAreServed) {
    expect_file("/link-inside", "file.txt");
    expect_file("/link-dir-inside/", "sub/index.html");
    expect_file("/link-dir-inside/nested/deep.css", "sub/nested/deep.css");
    expect_redirect("/link-dir-inside", "/link-dir-inside/");
}

TEST_F(ResolveTarget, NulByteIs400) {
    expect_error("/file.txt%00", 400);
    expect_error("/file.txt%00.html", 400);
    expect_error("/%00", 400);
}

TEST_F(ResolveTarget, BadPercentEncodingIs400) {
    expect_error("/%zz", 400);
    expect_error("/file%4", 400);
    expect_error("/%", 400);
}

TEST_F(ResolveTarget, TargetWithoutLeadingSlashIs400) {
    for (const char* target : {"", "file.txt", "*", "?x=1", "../file.txt", "%2ffile.txt",
                               "https://host/file.txt"}) {
        expect_error(target, 400);
    }
}

TEST_F(ResolveTarget, AbsoluteFormIsAccepted) {
    expect_file("http://host/file.txt", "file.txt");
    expect_file("http://host:8080/sub/nested/deep.css", "sub/nested/deep.css");
    expect_file("http://host", "index.html");
    expect_redirect("http://host/sub?x=1", "/sub/?x=1");
    expect_error("http://host/../x", 403);
    expect_error("http://host/%2e%2e/x", 403);
}

TEST_F(ResolveTarget, FifoIs403) {
    expect_error("/fifo", 403);
}

// RESOLVE_BENEATH refuses every absolute symlink, even one that points back
// inside: the kernel does not compare paths, it refuses to restart a lookup
// at "/". step01's realpath() check would serve this one.
TEST_F(ResolveTarget, AbsoluteSymlinkIs403EvenPointingInside) {
    expect_error("/link-absolute", 403);
}

// The Content-Type comes from the name the client asked for.
TEST_F(ResolveTarget, PathIsTheDecodedTargetPlusIndex) {
    EXPECT_EQ(resolve("/a%20b.txt?x=1").path, "/a b.txt");
    EXPECT_EQ(resolve("/sub/").path, "/sub/index.html");
    EXPECT_EQ(resolve("/").path, "/index.html");
    EXPECT_EQ(resolve("/link-inside").path, "/link-inside");
}

// The descriptor is read-only and close-on-exec: a CGI child never gets it.
TEST_F(ResolveTarget, FileIsOpenReadOnlyAndCloseOnExec) {
    Resolution r = resolve("/file.txt");
    ASSERT_TRUE(r.file.valid());
    int flags = ::fcntl(r.file.get(), F_GETFL);
    EXPECT_EQ(flags & O_ACCMODE, O_RDONLY);
    EXPECT_NE(::fcntl(r.file.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(ResolveTarget, OnlyAnExistingDirectoryOpensAsTheRoot) {
    EXPECT_FALSE(open_document_root(root_ + "/missing").valid());
    EXPECT_FALSE(open_document_root(root_ + "/file.txt").valid());  // not a directory
}

}  // namespace
