package dev.haul.internal.transfer;

import dev.haul.internal.http.ExchangeRequest;
import java.net.URI;

/** Builds the request of one attempt from where it goes and what it asks for. */
final class RequestFactory {
    private RequestFactory() {
    }

    /**
     * What a request carries besides the cursor's headers and the plan's range.
     *
     * @param cookie          the Cookie value from the jar, or "" / null for none
     * @param authorization   an Authorization value for this host (netrc), used only when the
     *                        request has none of its own; or null
     * @param ifNoneMatch     sent when the plan is conditional, or null
     * @param ifModifiedSince sent when the plan is conditional, or null
     */
    record Extras(String cookie, String authorization, String ifNoneMatch, String ifModifiedSince) {
        static final Extras NONE = new Extras(null, null, null, null);
    }

    static ExchangeRequest build(Cursor cursor, Plan plan, Extras extras) {
        URI uri = Cursor.withoutUserInfo(cursor.uri);
        ExchangeRequest.Builder b = ExchangeRequest.get(uri);
        boolean hasAuthorization = false;
        String cookie = extras.cookie();
        for (var h : cursor.headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase("Cookie") && cookie != null && !cookie.isEmpty()) {
                cookie = h.getValue() + "; " + cookie; // the caller's cookies, then the jar's
                continue;
            }
            hasAuthorization |= h.getKey().equalsIgnoreCase("Authorization");
            b.header(h.getKey(), h.getValue());
        }
        if (!hasAuthorization && extras.authorization() != null) {
            b.header("Authorization", extras.authorization());
        }
        if (cookie != null && !cookie.isEmpty()) {
            b.header("Cookie", cookie);
        }
        String range = plan.rangeHeader();
        if (range != null) {
            b.header("Range", range);
        }
        String ifRange = plan.ifRangeHeader();
        if (ifRange != null) {
            b.header("If-Range", ifRange);
        }
        if (plan.conditional()) {
            if (extras.ifNoneMatch() != null) {
                b.header("If-None-Match", extras.ifNoneMatch());
            }
            if (extras.ifModifiedSince() != null) {
                b.header("If-Modified-Since", extras.ifModifiedSince());
            }
        }
        return b.build();
    }
}
