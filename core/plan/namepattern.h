#pragma once

#include "util/result.h"

#include <memory>
#include <string>
#include <string_view>

class QRegularExpression;

namespace qs {

/// A tensor-name pattern of a plan: a glob, or a regular expression written `re:...`. Both match
/// the WHOLE name. In a glob `*` matches any run of characters, dots and slashes included (so
/// `*.k_proj.weight` matches every layer's), `?` matches exactly one character, and every other
/// character stands for itself (there are no `[...]` classes; use `re:` for those). A `re:`
/// pattern is a Perl-compatible expression (QRegularExpression, close to Python's `re`), anchored
/// at both ends. Copies share the compiled expression; matching is safe from several threads.
class NamePattern {
public:
    /// Compiles text. Fails, naming the text, when it is empty or an invalid expression (with the
    /// expression's own error and its offset).
    static Result<NamePattern> parse(std::string_view text);

    /// True if the pattern matches all of name (UTF-8).
    bool matches(std::string_view name) const;
    /// The pattern as written, `re:` prefix included.
    const std::string &text() const { return m_text; }
    bool isRegex() const { return m_regex != nullptr; }

    /// Patterns compare by their text.
    bool operator==(const NamePattern &other) const { return m_text == other.m_text; }

private:
    std::string m_text;
    std::shared_ptr<const QRegularExpression> m_regex; ///< null for a glob
};

/// True if glob (`*` and `?` as NamePattern describes) matches all of name; `?` takes one UTF-8
/// character.
bool globMatches(std::string_view glob, std::string_view name);

} // namespace qs
