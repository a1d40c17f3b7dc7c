package iamdoc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		doc  Document
		want string
	}{
		{
			name: "empty optional elements are left out",
			doc:  New(Statement{Effect: "Allow", Action: "s3:GetObject"}),
			want: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`,
		},
		{
			name: "every element, in the grammar's order",
			doc: New(Statement{
				Sid: "Deny", Effect: "Deny", Principal: "*", Action: []string{"s3:*"}, Resource: "*",
				Condition: Conditions{"Bool": {"aws:SecureTransport": "false"}},
			}),
			want: `{"Version":"2012-10-17","Statement":[{"Sid":"Deny","Effect":"Deny","Principal":"*","Action":["s3:*"],` +
				`"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.doc.Render()
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestService(t *testing.T) {
	assert.Equal(t, map[string]any{"Service": "config.amazonaws.com"}, Service("config.amazonaws.com"))
	assert.Equal(t, map[string]any{"Service": []string{"a.amazonaws.com", "b.amazonaws.com"}},
		Service("a.amazonaws.com", "b.amazonaws.com"))
}

func TestBucketTransportStatements(t *testing.T) {
	got, err := New(DenyInsecureTransport("arn:aws:s3:::b"), DenyOldTLS("arn:aws:s3:::b")).Render()
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":["s3:*"],
		 "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"DenyTlsBelow12","Effect":"Deny","Principal":"*","Action":["s3:*"],
		 "Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"NumericLessThan":{"s3:TlsVersion":"1.2"}}}]}`, got)
}
