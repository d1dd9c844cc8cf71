#pragma once

#include <optional>
#include <string>
#include <utility>

namespace qs {

/// An error text for the user: names the file (or argument) and says what is wrong.
struct Error {
    std::string message;
};

/// A value or an error text. The core never throws across its API; it returns one of these.
template <typename T>
class Result {
public:
    Result(T value)
        : m_value(std::move(value)) {}
    Result(Error error)
        : m_error(std::move(error.message)) {}

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }

    const T &value() const & { return *m_value; }
    T &value() & { return *m_value; }
    T &&value() && { return std::move(*m_value); }
    const T *operator->() const { return &*m_value; }

    /// Empty when ok().
    const std::string &error() const { return m_error; }

private:
    std::optional<T> m_value;
    std::string m_error;
};

/// Success or an error text, for operations that return nothing.
class Status {
public:
    Status() = default;
    Status(Error error)
        : m_error(std::move(error.message)) {}

    bool ok() const { return m_error.empty(); }
    explicit operator bool() const { return ok(); }
    const std::string &error() const { return m_error; }

private:
    std::string m_error;
};

} // namespace qs
