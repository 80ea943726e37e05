package dev.haul.internal.transfer;

import dev.haul.internal.http.ExchangeRequest;

/** Builds the request of one attempt from where it goes and what it asks for. */
final class RequestFactory {
    private RequestFactory() {
    }

    static ExchangeRequest build(Cursor cursor, Plan plan) {
        ExchangeRequest.Builder b = ExchangeRequest.get(Cursor.withoutUserInfo(cursor.uri));
        cursor.headers.forEach(b::header);
        String range = plan.rangeHeader();
        if (range != null) {
            b.header("Range", range);
        }
        String ifRange = plan.ifRangeHeader();
        if (ifRange != null) {
            b.header("If-Range", ifRange);
        }
        return b.build();
    }
}
