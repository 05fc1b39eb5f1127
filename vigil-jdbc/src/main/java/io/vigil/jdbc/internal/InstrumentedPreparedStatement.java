package io.vigil.jdbc.internal;

import io.vigil.jdbc.internal.InstrumentedDataSource.Execution;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.Calendar;
import java.util.Collections;

/**
 * A prepared statement of an {@link InstrumentedConnection}: its SQL text is described once, when it is prepared;
 * each execution and {@code executeBatch} runs inside its telemetry, every other call (the parameters' setters among
 * them) goes straight to the driver's statement.
 *
 * @param <S> the driver's statement type
 */
class InstrumentedPreparedStatement<S extends PreparedStatement> extends InstrumentedStatement<S>
        implements PreparedStatement {
    private final InstrumentedDataSource.Sql sql;
    private final String query;

    InstrumentedPreparedStatement(
            S delegate, InstrumentedConnection connection, String query, InstrumentedDataSource.Sql sql) {
        super(delegate, connection);
        this.query = query;
        this.sql = sql;
    }

    @Override
    final boolean prepared() {
        return true;
    }

    /** A prepared statement's batch: its one text, the number of parameter sets (as the library's span says). */
    @Override
    final Execution startBatch() {
        long size = batchSize;
        clearBatchState();
        return connection.dataSource.startBatch(Collections.singletonList(query), size, true, sql);
    }

    @Override
    public void addBatch() throws SQLException {
        delegate.addBatch();
        batchSize++;
    }

    @Override
    public void clearParameters() throws SQLException {
        delegate.clearParameters();
    }

    @Override
    public boolean execute() throws SQLException {
        Execution x = connection.dataSource.start(sql);
        boolean result;
        try {
            result = delegate.execute();
        } catch (Throwable t) {
            x.end(t);
            throw t;
        }
        x.end(null);
        return result;
    }

    @Override
    public long executeLargeUpdate() throws SQLException {
        Execution x = connection.dataSource.start(sql);
        long result;
        try {
            result = delegate.executeLargeUpdate();
        } catch (Throwable t) {
            x.end(t);
            throw t;
        }
        x.end(null);
        return result;
    }

    @Override
    public ResultSet executeQuery() throws SQLException {
        Execution x = connection.dataSource.start(sql);
        ResultSet result;
        try {
            result = delegate.executeQuery();
        } catch (Throwable t) {
            x.end(t);
            throw t;
        }
        x.end(null);
        return result;
    }

    @Override
    public int executeUpdate() throws SQLException {
        Execution x = connection.dataSource.start(sql);
        int result;
        try {
            result = delegate.executeUpdate();
        } catch (Throwable t) {
            x.end(t);
            throw t;
        }
        x.end(null);
        return result;
    }

    @Override
    public ResultSetMetaData getMetaData() throws SQLException {
        return delegate.getMetaData();
    }

    @Override
    public ParameterMetaData getParameterMetaData() throws SQLException {
        return delegate.getParameterMetaData();
    }

    @Override
    public void setArray(int parameterIndex, Array x) throws SQLException {
        delegate.setArray(parameterIndex, x);
    }

    @Override
    public void setAsciiStream(int parameterIndex, InputStream x, int length) throws SQLException {
        delegate.setAsciiStream(parameterIndex, x, length);
    }

    @Override
    public void setAsciiStream(int parameterIndex, InputStream x, long length) throws SQLException {
        delegate.setAsciiStream(parameterIndex, x, length);
    }

    @Override
    public void setAsciiStream(int parameterIndex, InputStream x) throws SQLException {
        delegate.setAsciiStream(parameterIndex, x);
    }

    @Override
    public void setBigDecimal(int parameterIndex, BigDecimal x) throws SQLException {
        delegate.setBigDecimal(parameterIndex, x);
    }

    @Override
    public void setBinaryStream(int parameterIndex, InputStream x, int length) throws SQLException {
        delegate.setBinaryStream(parameterIndex, x, length);
    }

    @Override
    public void setBinaryStream(int parameterIndex, InputStream x, long length) throws SQLException {
        delegate.setBinaryStream(parameterIndex, x, length);
    }

    @Override
    public void setBinaryStream(int parameterIndex, InputStream x) throws SQLException {
        delegate.setBinaryStream(parameterIndex, x);
    }

    @Override
    public void setBlob(int parameterIndex, InputStream x, long length) throws SQLException {
        delegate.setBlob(parameterIndex, x, length);
    }

    @Override
    public void setBlob(int parameterIndex, InputStream x) throws SQLException {
        delegate.setBlob(parameterIndex, x);
    }

    @Override
    public void setBlob(int parameterIndex, Blob x) throws SQLException {
        delegate.setBlob(parameterIndex, x);
    }

    @Override
    public void setBoolean(int parameterIndex, boolean x) throws SQLException {
        delegate.setBoolean(parameterIndex, x);
    }

    @Override
    public void setByte(int parameterIndex, byte x) throws SQLException {
        delegate.setByte(parameterIndex, x);
    }

    @Override
    public void setBytes(int parameterIndex, byte[] x) throws SQLException {
        delegate.setBytes(parameterIndex, x);
    }

    @Override
    public void setCharacterStream(int parameterIndex, Reader x, int length) throws SQLException {
        delegate.setCharacterStream(parameterIndex, x, length);
    }

    @Override
    public void setCharacterStream(int parameterIndex, Reader x, long length) throws SQLException {
        delegate.setCharacterStream(parameterIndex, x, length);
    }

    @Override
    public void setCharacterStream(int parameterIndex, Reader x) throws SQLException {
        delegate.setCharacterStream(parameterIndex, x);
    }

    @Override
    public void setClob(int parameterIndex, Reader x, long length) throws SQLException {
        delegate.setClob(parameterIndex, x, length);
    }

    @Override
    public void setClob(int parameterIndex, Reader x) throws SQLException {
        delegate.setClob(parameterIndex, x);
    }

    @Override
    public void setClob(int parameterIndex, Clob x) throws SQLException {
        delegate.setClob(parameterIndex, x);
    }

    @Override
    public void setDate(int parameterIndex, Date x, Calendar cal) throws SQLException {
        delegate.setDate(parameterIndex, x, cal);
    }

    @Override
    public void setDate(int parameterIndex, Date x) throws SQLException {
        delegate.setDate(parameterIndex, x);
    }

    @Override
    public void setDouble(int parameterIndex, double x) throws SQLException {
        delegate.setDouble(parameterIndex, x);
    }

    @Override
    public void setFloat(int parameterIndex, float x) throws SQLException {
        delegate.setFloat(parameterIndex, x);
    }

    @Override
    public void setInt(int parameterIndex, int x) throws SQLException {
        delegate.setInt(parameterIndex, x);
    }

    @Override
    public void setLong(int parameterIndex, long x) throws SQLException {
        delegate.setLong(parameterIndex, x);
    }

    @Override
    public void setNCharacterStream(int parameterIndex, Reader x, long length) throws SQLException {
        delegate.setNCharacterStream(parameterIndex, x, length);
    }

    @Override
    public void setNCharacterStream(int parameterIndex, Reader x) throws SQLException {
        delegate.setNCharacterStream(parameterIndex, x);
    }

    @Override
    public void setNClob(int parameterIndex, Reader x, long length) throws SQLException {
        delegate.setNClob(parameterIndex, x, length);
    }

    @Override
    public void setNClob(int parameterIndex, Reader x) throws SQLException {
        delegate.setNClob(parameterIndex, x);
    }

    @Override
    public void setNClob(int parameterIndex, NClob x) throws SQLException {
        delegate.setNClob(parameterIndex, x);
    }

    @Override
    public void setNString(int parameterIndex, String x) throws SQLException {
        delegate.setNString(parameterIndex, x);
    }

    @Override
    public void setNull(int parameterIndex, int x, String name) throws SQLException {
        delegate.setNull(parameterIndex, x, name);
    }

    @Override
    public void setNull(int parameterIndex, int x) throws SQLException {
        delegate.setNull(parameterIndex, x);
    }

    @Override
    public void setObject(int parameterIndex, Object x, int length, int value) throws SQLException {
        delegate.setObject(parameterIndex, x, length, value);
    }

    @Override
    public void setObject(int parameterIndex, Object x, int length) throws SQLException {
        delegate.setObject(parameterIndex, x, length);
    }

    @Override
    public void setObject(int parameterIndex, Object x, SQLType sQLType, int value) throws SQLException {
        delegate.setObject(parameterIndex, x, sQLType, value);
    }

    @Override
    public void setObject(int parameterIndex, Object x, SQLType sQLType) throws SQLException {
        delegate.setObject(parameterIndex, x, sQLType);
    }

    @Override
    public void setObject(int parameterIndex, Object x) throws SQLException {
        delegate.setObject(parameterIndex, x);
    }

    @Override
    public void setRef(int parameterIndex, Ref x) throws SQLException {
        delegate.setRef(parameterIndex, x);
    }

    @Override
    public void setRowId(int parameterIndex, RowId x) throws SQLException {
        delegate.setRowId(parameterIndex, x);
    }

    @Override
    public void setSQLXML(int parameterIndex, SQLXML x) throws SQLException {
        delegate.setSQLXML(parameterIndex, x);
    }

    @Override
    public void setShort(int parameterIndex, short x) throws SQLException {
        delegate.setShort(parameterIndex, x);
    }

    @Override
    public void setString(int parameterIndex, String x) throws SQLException {
        delegate.setString(parameterIndex, x);
    }

    @Override
    public void setTime(int parameterIndex, Time x, Calendar cal) throws SQLException {
        delegate.setTime(parameterIndex, x, cal);
    }

    @Override
    public void setTime(int parameterIndex, Time x) throws SQLException {
        delegate.setTime(parameterIndex, x);
    }

    @Override
    public void setTimestamp(int parameterIndex, Timestamp x, Calendar cal) throws SQLException {
        delegate.setTimestamp(parameterIndex, x, cal);
    }

    @Override
    public void setTimestamp(int parameterIndex, Timestamp x) throws SQLException {
        delegate.setTimestamp(parameterIndex, x);
    }

    @Override
    public void setURL(int parameterIndex, URL x) throws SQLException {
        delegate.setURL(parameterIndex, x);
    }

    @Deprecated
    @Override
    public void setUnicodeStream(int parameterIndex, InputStream x, int length) throws SQLException {
        delegate.setUnicodeStream(parameterIndex, x, length);
    }
}
