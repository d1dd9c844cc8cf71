#include "plan/namepattern.h"

#include <QRegularExpression>
#include <QString>

namespace qs {

namespace {

constexpr std::string_view kRegexPrefix = "re:";

// The index just past the UTF-8 character that starts at i.
std::size_t nextCharacter(std::string_view text, std::size_t i) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80)
        ++i;
    return i;
}

} // namespace

bool globMatches(std::string_view glob, std::string_view name) {
    // Greedy scan that backtracks to the last `*` only: linear in practice, never exponential.
    std::size_t p = 0;
    std::size_t n = 0;
    std::size_t star = std::string_view::npos;
    std::size_t resume = 0;
    while (n < name.size()) {
        if (p < glob.size() && glob[p] == '*') {
            star = p++;
            resume = n;
        } else if (p < glob.size() && glob[p] == '?') {
            ++p;
            n = nextCharacter(name, n);
        } else if (p < glob.size() && glob[p] == name[n]) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            resume = nextCharacter(name, resume);
            n = resume;
        } else {
            return false;
        }
    }
    while (p < glob.size() && glob[p] == '*')
        ++p;
    return p == glob.size();
}

Result<NamePattern> NamePattern::parse(std::string_view text) {
    NamePattern pattern;
    pattern.m_text = std::string(text);
    const std::string quoted = "\"" + pattern.m_text + "\"";
    if (!text.starts_with(kRegexPrefix)) {
        if (text.empty())
            return Error{"a pattern must not be empty"};
        return pattern;
    }
    const std::string_view source = text.substr(kRegexPrefix.size());
    const QString body = QString::fromUtf8(source.data(), qsizetype(source.size()));
    if (body.isEmpty())
        return Error{"bad pattern " + quoted + ": the expression after re: is empty"};
    // Checked alone first, so the offset is the user's and an unbalanced ")" cannot escape
    // the anchors added below.
    const QRegularExpression alone(body);
    if (!alone.isValid())
        return Error{"bad pattern " + quoted + ": " + alone.errorString().toStdString() + " at offset " +
                     std::to_string(alone.patternErrorOffset())};
    auto regex = std::make_shared<QRegularExpression>(QRegularExpression::anchoredPattern(body));
    if (!regex->isValid())
        return Error{"bad pattern " + quoted + ": " + regex->errorString().toStdString()};
    // Compiling now keeps later matches, possibly from several threads, free of lazy set-up.
    regex->optimize();
    pattern.m_regex = std::move(regex);
    return pattern;
}

bool NamePattern::matches(std::string_view name) const {
    if (!m_regex)
        return globMatches(m_text, name);
    return m_regex->match(QString::fromUtf8(name.data(), qsizetype(name.size()))).hasMatch();
}

} // namespace qs
