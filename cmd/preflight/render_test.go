package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMoneyForEveryValue: amounts print with thousands separators and cents for every value a
// float64 can hold; never "-$0.00", never a wrapped integer, never NaN or Inf.
func TestMoneyForEveryValue(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{0, "$0.00"},
		{math.Copysign(0, -1), "$0.00"},
		{-0.004, "$0.00"},
		{0.005, "$0.01"},
		{0.1 + 0.2, "$0.30"},
		{999.995, "$1,000.00"},
		{4467.6, "$4,467.60"},
		{1234567.891, "$1,234,567.89"},
		{-1234567.891, "-$1,234,567.89"},
		{100, "$100.00"},
		{100000, "$100,000.00"},
		{9.223372036854776e18, "$9,223,372,036,854,775,808.00"},
		{1e20, "$100,000,000,000,000,000,000.00"},
		{math.NaN(), "n/a"},
		{math.Inf(1), "n/a"},
		{math.Inf(-1), "n/a"},
	} {
		assert.Equal(t, tt.want, money(tt.in), "%v", tt.in)
	}
	largest := money(math.MaxFloat64)
	assert.Regexp(t, `^\$179,769,313,486,231,57[0-9,]*\.00$`, largest)

	assert.Equal(t, "+$0.00", signedMoney(0))
	assert.Equal(t, "+$0.00", signedMoney(-0.001), "a delta that rounds to zero has no minus")
	assert.Equal(t, "-$5.00", signedMoney(-5))
	assert.Equal(t, "+$1,000.00", signedMoney(1000))
	assert.Equal(t, "n/a", signedMoney(math.NaN()))

	assert.Equal(t, "n/a", minutes(math.NaN()))
	assert.Equal(t, "0.0", minutes(math.Copysign(0, -1)))
	assert.Equal(t, "25.0", minutes(25))
	assert.Equal(t, "0", quantity(math.Copysign(0, -1)))
	assert.Equal(t, "n/a", quantity(math.Inf(1)))
	assert.Equal(t, "n/a/hour", unitPrice(math.NaN(), "hour"))
	assert.Equal(t, "$0.192/hour", unitPrice(0.192, "hour"))
}
