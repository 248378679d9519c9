// Package fault names the kinds of failure that the web layer turns into a
// response: something that does not exist, something the person may not do,
// and input that is wrong, with a message that is safe to show. Services
// return these (wrapped as they like); web decides the status code.
package fault

import (
	"errors"

	"github.com/tallyhq/tally/db"
)

// ErrNotFound is returned when the thing asked for does not exist, or
// exists but the person asking may not know that it does.
var ErrNotFound = errors.New("not found")

// ErrForbidden is returned when the person asking may not do what they
// asked.
var ErrForbidden = errors.New("forbidden")

// Invalid is input that cannot be accepted. Message is shown to the person
// as it is; Field names the form field it belongs to, if any.
type Invalid struct {
	Field   string
	Message string
}

// Error returns the message.
func (e *Invalid) Error() string { return e.Message }

// Invalidf returns an *Invalid for field with the given message.
func Invalidf(field, message string) error {
	return &Invalid{Field: field, Message: message}
}

// IsNotFound reports whether err is ErrNotFound or db.ErrNotFound.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, db.ErrNotFound)
}

// IsForbidden reports whether err is ErrForbidden.
func IsForbidden(err error) bool {
	return errors.Is(err, ErrForbidden)
}

// AsInvalid returns the *Invalid in err's chain, if there is one.
func AsInvalid(err error) (*Invalid, bool) {
	var v *Invalid
	ok := errors.As(err, &v)
	return v, ok
}
