package dev.haul;

import dev.haul.DownloadException.Reason;
import dev.haul.internal.http.ResponseHead;
import dev.haul.internal.transfer.TransferEvents;
import java.net.URI;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Turns a transfer's events into listener calls and its result future's completion. All user code
 * of a download is called from here, and every call is isolated: what it throws becomes a
 * {@link Reason#CALLBACK_FAILED} failure of that download, or, in the last event, a log line.
 */
final class DownloadEvents<T> implements TransferEvents {
    private static final System.Logger LOG = System.getLogger("dev.haul");

    private final Download<T> download;
    private final ResultFuture<T> future;
    private final DownloadListener first;
    private final DownloadListener second;
    private final ProgressCallback percent;
    private final String url;

    DownloadEvents(Download<T> download, ResultFuture<T> future, DownloadListener managerListener,
            String url) {
        this.download = download;
        this.future = future;
        this.first = download.request().listener();
        this.second = managerListener;
        this.percent = download.request().progressCallback();
        this.url = url;
    }

    @Override
    public void queued() throws DownloadException {
        call("onQueued", l -> l.onQueued(download));
    }

    @Override
    public void started() throws DownloadException {
        call("onStarted", l -> l.onStarted(download));
    }

    @Override
    public void response(ResponseHead head, URI uri) throws DownloadException {
        ResponseInfo info = info(head, uri);
        download.response(info);
        call("onResponse", l -> l.onResponse(download, info));
    }

    @Override
    public void progress(Snapshot s) throws DownloadException {
        if (first == null && second == null) {
            return;
        }
        Progress p = new Progress(s.bytesDone(), s.totalBytes(), s.totalSource(),
                s.bytesPerSecond(), s.attempt(), s.connections());
        call("onProgress", l -> l.onProgress(download, p));
    }

    @Override
    public void percent(int pct) throws DownloadException {
        if (percent == null) {
            return;
        }
        try {
            percent.onProgress(pct);
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError) {
                throw e;
            }
            throw new DownloadException(Reason.CALLBACK_FAILED, url, "progress callback threw: "
                    + e, e);
        }
    }

    @Override
    public void sourceChanged(DownloadException cause, URI from, URI to)
            throws DownloadException {
        call("onSourceChanged", l -> l.onSourceChanged(download, cause, from, to));
    }

    @Override
    public void retry(DownloadException cause, int nextAttempt, Duration delay, long resumeFrom)
            throws DownloadException {
        call("onRetry", l -> l.onRetry(download, cause, nextAttempt, delay, resumeFrom));
    }

    @Override
    @SuppressWarnings("unchecked")
    public void succeeded(Result r) {
        DownloadResult<T> result = new DownloadResult<>((T) r.body(), download.request().uri(),
                info(r.head(), r.finalUri()), r.size(), r.sha256(), r.attempts(), r.resumedFrom(),
                Duration.ofNanos(r.elapsedNanos()));
        last("onSucceeded", l -> l.onSucceeded(download, result));
        future.succeed(result);
    }

    @Override
    public void failed(Throwable failure) {
        last("onFailed", l -> l.onFailed(download, failure));
        future.fail(failure);
    }

    @Override
    public void cancelled() {
        future.cancelled(); // already cancelled by whoever stopped it; harmless otherwise
        last("onCancelled", l -> l.onCancelled(download));
    }

    private void call(String event, Consumer<DownloadListener> c) throws DownloadException {
        for (DownloadListener l : new DownloadListener[] {first, second}) {
            if (l == null) {
                continue;
            }
            try {
                c.accept(l);
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError) {
                    throw e;
                }
                throw new DownloadException(Reason.CALLBACK_FAILED, url, "listener threw in "
                        + event + ": " + e, e);
            }
        }
    }

    /** The last event: the outcome is settled, so what the listener throws is only logged. */
    private void last(String event, Consumer<DownloadListener> c) {
        try {
            call(event, c);
        } catch (DownloadException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage(), e.getCause());
        } catch (VirtualMachineError e) {
            LOG.log(System.Logger.Level.ERROR, "listener failed in " + event, e);
        }
    }

    private static ResponseInfo info(ResponseHead head, URI uri) {
        if (head == null) {
            return new ResponseInfo(200, "HTTP/1.1", uri, java.util.Map.of());
        }
        return new ResponseInfo(head.status(), head.protocol(), uri, head.headers().map());
    }
}
