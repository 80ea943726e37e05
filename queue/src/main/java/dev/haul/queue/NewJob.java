package dev.haul.queue;

import java.util.Objects;

/**
 * A job as {@link JobStore#insert} records it: the request without credentials, the file name
 * chosen for it, and where its credentials are.
 *
 * @param request the request, without credentials
 * @param fileName the plain file name in the request's directory
 * @param credentials where the request's credentials are
 * @param credentialsRef the key of the credentials in memory or in the store, or null
 */
public record NewJob(JobRequest request, String fileName, Job.Credentials credentials,
                     String credentialsRef) {
    /**
     * A new job.
     *
     * @param request the request, without credentials
     * @param fileName the plain file name in the request's directory
     * @param credentials where the request's credentials are
     * @param credentialsRef the key of the credentials in memory or in the store, or null
     */
    public NewJob {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(credentials, "credentials");
        if (request.hasCredentials()) {
            throw new IllegalArgumentException("a stored request carries no credentials");
        }
        if ((credentials == Job.Credentials.NONE) != (credentialsRef == null)) {
            throw new IllegalArgumentException("credentials " + credentials + " with ref "
                    + credentialsRef);
        }
    }
}
